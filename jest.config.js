/**
 * jest for the browser code (src/): jsdom with JupyterLab's test environment.
 * The companion (lib-server/) has its own node-environment config.
 */
const jupyterLabJest = require('@jupyterlab/testutils/lib/jest-config');

// Dependencies published as ES modules, which jest has to transpile.
const esModules = [
  '@codemirror',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyter/ydoc',
  '@jupyterlab/',
  '@lezer',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
];

const base = jupyterLabJest(__dirname);

module.exports = {
  ...base,
  reporters: ['default'],
  roots: ['<rootDir>/src'],
  testRegex: 'src/__tests__/.*\\.spec\\.tsx?$',
  transformIgnorePatterns: [`/node_modules/(?!(${esModules.join('|')})).+`]
};
