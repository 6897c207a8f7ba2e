import { readFileSync } from "node:fs";

// The Lua lives in ./lua, beside this module (`npm run build` copies it into dist); read once at load.
// A script that uses shared helpers starts with them: Lua has no includes that EVAL could resolve.
const lua = (...names: string[]) => names.map((name) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8")).join("\n");

/** Writes a room's enforced state and its work (see lua/commit.lua for KEYS and ARGV). */
export const COMMIT = lua("item-rules", "kick-rules", "rule-rules", "commit");
/** Queues kicks outside a room change. */
export const ENQUEUE_KICKS = lua("kick-rules", "enqueue-kicks");
/** Records a stream callback unless its nonce was seen. */
export const RECORD_STREAM = lua("record-stream");
/** Leases due stream or kick items. */
export const CLAIM = lua("item-rules", "claim");
/** Ends a lease on stream or kick items. */
export const SETTLE = lua("item-rules", "settle");
/** Takes one call slot of a lane's shared pace (see paceOf). */
export const ACQUIRE = lua("acquire");
/** Marks a room as about to change. */
export const INTEND = lua("intend");
/** Leases one due rule item; a set waits while the cap is reached. */
export const CLAIM_RULE = lua("rule-rules", "claim-rule");
/** Ends a lease on a rule item. */
export const SETTLE_RULE = lua("rule-rules", "settle-rule");
/** Takes over rules ZEGO lists that the store does not know. */
export const ADOPT_RULES = lua("adopt-rules");
