// structure.mjs - what Mozilla's PDF.js reads of a tagged PDF, as JSON on
// standard output, for tests/golden/test_tags.py.
//
// usage: node structure.mjs FILE.pdf
//
// For each page: the structure tree as getStructTree() gives it, each
// content node with the text getTextContent() puts inside its marked-content
// sequence; the text outside any sequence with an MCID, by kind ("artifact":
// in an Artifact sequence, "loose": in none); and the page's annotations.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
let pdfjs;
try {
  const require = createRequire(join(here, "package.json"));
  pdfjs = await import(pathToFileURL(require.resolve("pdfjs-dist/legacy/build/pdf.mjs")).href);
} catch (e) {
  console.error("pdfjs-dist is not installed: run scripts/deps (npm ci in tests/node)");
  process.exit(2);
}

const data = new Uint8Array(readFileSync(process.argv[2]));
const doc = await pdfjs.getDocument({ data, useSystemFonts: false, isEvalSupported: false, verbosity: 0 }).promise;
const out = { pages: [], markInfo: await doc.getMarkInfo(), metadata: null };
const meta = await doc.getMetadata();
out.metadata = { title: meta.info?.Title ?? null, lang: meta.info?.Language ?? null };

function fill(node, texts) {
  if (!node) return node;
  if (node.type === "content") return { type: "content", id: node.id, text: texts.get(node.id) ?? null };
  if (node.type === "object") return { type: "object", id: node.id };
  const o = { role: node.role };
  if (node.lang) o.lang = node.lang;
  if (node.alt) o.alt = node.alt;
  o.children = (node.children ?? []).map((c) => fill(c, texts));
  return o;
}

for (let n = 1; n <= doc.numPages; n++) {
  const page = await doc.getPage(n);
  const tc = await page.getTextContent({ includeMarkedContent: true });
  const texts = new Map();
  const stack = [];
  const outside = { artifact: "", loose: "" };
  for (const it of tc.items) {
    if (it.type === "beginMarkedContentProps" || it.type === "beginMarkedContent") {
      stack.push({ id: it.id ?? null, tag: it.tag ?? null });
      continue;
    }
    if (it.type === "endMarkedContent") {
      stack.pop();
      continue;
    }
    const s = it.str + (it.hasEOL ? "\n" : "");
    const withId = [...stack].reverse().find((m) => m.id);
    if (withId) texts.set(withId.id, (texts.get(withId.id) ?? "") + s);
    else if (stack.some((m) => m.tag === "Artifact")) outside.artifact += s;
    else outside.loose += s;
  }
  const tree = await page.getStructTree();
  const annots = (await page.getAnnotations()).map((a) => ({ subtype: a.subtype, contents: a.contentsObj?.str ?? a.contents ?? null, url: a.url ?? null }));
  out.pages.push({ tree: fill(tree, texts), outside, annots });
}
process.stdout.write(JSON.stringify(out));
