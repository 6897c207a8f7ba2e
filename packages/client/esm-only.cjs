"use strict";
// What require("zego-token-service-client") finds: the package is ESM only.
const error = new Error(
  'zego-token-service-client is an ES module: use `import { createTokenClient } from "zego-token-service-client"`, ' +
    'or `await import("zego-token-service-client")` from CommonJS.',
);
error.code = "ERR_REQUIRE_ESM";
throw error;
