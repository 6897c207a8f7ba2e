import { buildWebAssets } from "../../src/web/build-assets.js";

/** Builds the pages from src before any test, so the served assets always match the sources. */
export default async function setup(): Promise<void> {
  await buildWebAssets();
}
