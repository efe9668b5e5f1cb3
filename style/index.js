/*
 * Nothing here loads with the page: each stylesheet is imported by the views that use it
 * (the sidebar's content, the dialogs, the job logs, the dashboard tabs, the Settings Editor
 * fields), which load on first use.
 */
