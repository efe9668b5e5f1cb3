// babel-jest transpiles the ES-module dependencies listed in jest.config.js.
module.exports = require('@jupyterlab/testutils/lib/babel.config');
