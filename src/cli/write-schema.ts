import { writeFileSync } from "node:fs";
import { printServiceSchema } from "../graphql/print-schema.js";

writeFileSync(new URL("../../schema.graphql", import.meta.url), printServiceSchema());
console.log("wrote schema.graphql");
