/**
 * SVG files are imported as their source text (the builder's rule for `.svg` from scripts).
 */
declare module '*.svg' {
  const source: string;
  export default source;
}
