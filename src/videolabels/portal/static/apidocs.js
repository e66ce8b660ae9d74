// Renders /openapi.json as a readable reference, offline (no Swagger UI from a CDN).

import { clear, h } from "./dom.js";

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Text with `code` spans (the descriptions' Markdown, as far as they use it). */
function prose(text) {
  return String(text).split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part));
}

function typeOf(schema, spec) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.anyOf) return schema.anyOf.map((s) => typeOf(s, spec)).join(" | ");
  if (schema.type === "array") return `${typeOf(schema.items, spec)}[]`;
  return schema.format ? `${schema.type} (${schema.format})` : schema.type || "";
}

function resolve(schema, spec) {
  if (schema?.$ref) return resolve(spec.components?.schemas?.[schema.$ref.split("/").pop()], spec);
  return schema || {};
}

function operation(method, path, op, spec) {
  const params = op.parameters || [];
  const body = op.requestBody?.content || {};
  const responses = Object.entries(op.responses || {});
  return h("details", { id: op.operationId || `${method}-${path}` },
    h("summary", {},
      h("span", { class: `method method-${method}` }, method.toUpperCase()),
      h("span", { class: "path" }, path),
      h("span", { class: "summary-text" }, op.summary || "")),
    h("div", { class: "op-body" },
      op.description ? h("p", {}, prose(op.description)) : null,
      params.length
        ? h("table", {},
            h("thead", {}, h("tr", {}, ["Parameter", "In", "Type", "Required", "Description"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, params.map((p) =>
              h("tr", {},
                h("td", {}, h("code", {}, p.name)),
                h("td", {}, p.in),
                h("td", {}, typeOf(p.schema, spec)),
                h("td", {}, p.required ? "yes" : ""),
                h("td", {}, prose(p.description || p.schema?.description || ""))))))
        : null,
      Object.keys(body).length ? h("p", {}, "Request body: ", Object.keys(body).map((t) => h("code", {}, t))) : null,
      h("table", {},
        h("thead", {}, h("tr", {}, ["Status", "Description", "Body"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, responses.map(([code, r]) => {
          const content = r.content || {};
          const schema = content["application/json"]?.schema;
          return h("tr", {},
            h("td", {}, code),
            h("td", {}, r.description || ""),
            h("td", {}, schema ? typeOf(schema, spec) : Object.keys(content).join(", ")));
        })))));
}

function schemaSection(name, schema, spec) {
  const props = Object.entries(resolve(schema, spec).properties || {});
  return h("details", { id: `schema-${name}` },
    h("summary", {}, h("span", { class: "path" }, name)),
    h("div", { class: "op-body" },
      schema.description ? h("p", {}, schema.description) : null,
      h("table", {},
        h("thead", {}, h("tr", {}, ["Field", "Type", "Description"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, props.map(([field, s]) =>
          h("tr", {}, h("td", {}, h("code", {}, field)), h("td", {}, typeOf(s, spec)), h("td", {}, s.description || "")))))));
}

async function main() {
  const summary = document.getElementById("api-summary");
  const toc = document.getElementById("api-toc");
  const ops = document.getElementById("api-operations");
  let spec;
  try {
    const response = await fetch("openapi.json");
    spec = await response.json();
  } catch (e) {
    summary.textContent = `Could not load openapi.json: ${e.message}`;
    return;
  }
  document.getElementById("api-title").textContent = `${spec.info.title} ${spec.info.version} — API reference`;
  clear(summary).append(...prose(`${spec.info.summary || ""} ${spec.info.description || ""}`));
  const byTag = new Map();
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const tag = item[method].tags?.[0] || "Other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method, path, item[method]]);
    }
  }
  toc.append(h("ul", { class: "toc" }, [...byTag.keys()].map((tag) => h("li", {}, h("a", { href: `#tag-${tag}` }, tag)))));
  for (const [tag, list] of byTag) {
    ops.append(h("h2", { id: `tag-${tag}` }, tag), ...list.map(([m, p, op]) => operation(m, p, op, spec)));
  }
  const schemas = Object.entries(spec.components?.schemas || {});
  if (schemas.length) ops.append(h("h2", { id: "schemas" }, "Schemas"), ...schemas.map(([n, s]) => schemaSection(n, s, spec)));
}

main();
