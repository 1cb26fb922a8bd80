// The one copy of these helpers lives in src/testing (the shipped conformance suites use them).
export { range, sleep, waitUntil } from '../../src/testing/helpers.js';
