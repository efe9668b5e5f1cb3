/**
 * Stylesheets are imported for their side effect (the builder's style-loader puts them in the page).
 */
declare module '*.css';
