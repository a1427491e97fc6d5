// What markdownlint cannot see: how the Markdown renders. Each file given on the command line
// is parsed with markdown-it (CommonMark, as the forge renders it) and checked for
//   - fenced code blocks that never close (an unbalanced fence swallows the rest of the file);
//   - relative links and images whose file is missing;
// and README.md is checked for the structure a reader expects: its sections as headings, the
// `lightbox` commands inside one code block, the screenshots near the top.
// Usage: node check-rendered.mjs FILE.md...   (scripts/check-markdown.sh passes every one)
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: true });
const root = resolve(import.meta.dirname, "../..");
const problems = [];

/** Every token, inline children included. */
function* walk(tokens) {
  for (const t of tokens) {
    yield t;
    if (t.children) yield* walk(t.children);
  }
}

function checkFences(file, lines, tokens) {
  for (const t of tokens) {
    if (t.type !== "fence") continue;
    const last = lines[t.map[1] - 1]?.trim() ?? "";
    const closed = t.map[1] - t.map[0] >= 2 && last.startsWith(t.markup) && /^(`{3,}|~{3,})$/.test(last);
    if (!closed) problems.push(`${file}:${t.map[0] + 1}: this ${t.markup} fence never closes: everything after it renders as code`);
  }
}

function checkLinks(file, tokens) {
  let line = 1; // the last block that knows its line (table cells do not)
  for (const block of tokens) {
    if (block.map) line = block.map[0] + 1;
    for (const t of [block, ...(block.children ?? [])]) {
      const target = t.type === "link_open" ? t.attrGet("href") : t.type === "image" ? t.attrGet("src") : null;
      if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue;
      const path = decodeURIComponent(target.split("#")[0]);
      if (path && !existsSync(resolve(dirname(join(root, file)), path))) {
        problems.push(`${file}:${line}: links to ${target}, which does not exist`);
      }
    }
  }
}

/** The README as a reader sees it: these headings, these lines in code. */
function checkReadme(tokens) {
  const headings = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].type === "heading_open") headings.push(`${tokens[i].tag} ${tokens[i + 1].content}`);
  }
  const want = [
    "h1 Lightbox",
    "h2 Two commands",
    "h2 The local stack",
    "h2 The `lightbox` command",
    "h2 Configuration",
    "h2 Desktop app",
    "h2 Working on it",
  ];
  for (const h of want) {
    if (!headings.includes(h)) problems.push(`README.md: no heading "${h}" (headings rendered: ${headings.join(" | ")})`);
  }
  const code = tokens.filter((t) => t.type === "fence");
  const commands = code.find((t) => t.content.includes("lightbox run [--folder DIR]"));
  for (const line of ["lightbox login", "lightbox whoami", "lightbox logout", "lightbox service install"]) {
    if (!commands?.content.includes(line)) problems.push(`README.md: "${line}" is not inside the \`lightbox\` command block`);
  }
  const prose = tokens.filter((t) => t.type === "inline").map((t) => t.content).join("\n");
  if (!prose.includes("LIGHTBOX_*")) problems.push("README.md: the Configuration section's text is not rendered as prose");
  // The screenshots near the top (their files are checked with every other link).
  const shots = [...walk(tokens)].filter((t) => t.type === "image" && t.attrGet("src").startsWith("docs/screenshots/"));
  if (shots.length < 6) problems.push(`README.md: shows ${shots.length} screenshots from docs/screenshots/, expected at least 6`);
  const firstShot = tokens.findIndex((t) => t.type === "inline" && t.children?.some((c) => c.type === "image"));
  const thirdHeading = tokens.filter((t) => t.type === "heading_open")[2];
  if (firstShot < 0 || (thirdHeading && firstShot > tokens.indexOf(thirdHeading))) {
    problems.push("README.md: the screenshots are not near the top (before the third heading)");
  }
}

const files = process.argv.slice(2);
if (!files.length) throw new Error("usage: node check-rendered.mjs FILE.md...");
for (const arg of files) {
  const file = relative(root, resolve(arg));
  const text = readFileSync(join(root, file), "utf8");
  const tokens = md.parse(text, {});
  checkFences(file, text.split("\n"), tokens);
  checkLinks(file, tokens);
  if (file === "README.md") checkReadme(tokens);
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`${files.length} Markdown files render as intended`);
