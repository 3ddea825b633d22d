// src/openapi.d.ts from the server's OpenAPI document (on stdin), by openapi-typescript; with
// --check, fails if the file differs instead of writing it. A file field (`format: binary`) is
// typed as the Blob a browser sends, so an upload goes through the typed client like any call.
import { readFileSync, writeFileSync } from "node:fs";
import openapiTS, { COMMENT_HEADER, astToString } from "openapi-typescript";
import ts from "typescript";

const output = new URL("../src/openapi.d.ts", import.meta.url);
const BLOB = ts.factory.createTypeReferenceNode("Blob");

const nodes = await openapiTS(process.stdin, {
  defaultNonNullable: false,
  transform: (schema) => (schema.format === "binary" ? BLOB : undefined),
});
const types = COMMENT_HEADER + astToString(nodes);
if (!process.argv.includes("--check")) {
  writeFileSync(output, types);
} else if (readFileSync(output, "utf8") !== types) {
  console.error("src/openapi.d.ts is not up to date with the server's OpenAPI document");
  process.exit(1);
}
