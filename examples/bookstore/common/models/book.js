'use strict';

// Model customisation hook for Book. Intentionally a no-op: loopback-rs does not
// run model scripts (it reports this file as "not run"), and none of the recorded
// requests in tests/fixtures/bookstore depend on it.
module.exports = function(Book) {
};
