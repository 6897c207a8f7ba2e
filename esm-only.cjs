"use strict";
// What require("zego-token-service") and require("zego-token-service/client") find: ESM only.
const error = new Error(
  'zego-token-service is an ES module: use `import ... from "zego-token-service"` (or "zego-token-service/client"), ' +
    'or `await import("zego-token-service")` from CommonJS.',
);
error.code = "ERR_REQUIRE_ESM";
throw error;
