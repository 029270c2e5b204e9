// The admin pages: plain JavaScript against /api/v1, no external scripts.
"use strict";

const TEXT = {
  "zh-CN": {
    brand: "议事 · 基层协商平台", login_title: "登录", username: "用户名", password: "密码", login: "登录",
    logout: "退出登录", my_regions: "我的辖区", search: "搜索", search_ph: "按名称或代码搜索辖区",
    code: "区划代码", name: "名称", level: "层级", children: "下级", prev: "上一页", next: "下一页",
    page: "第 {p} 页，共 {t} 条", none: "没有结果", other_lang: "English",
    city: "市", district: "区县", street: "街道乡镇", community: "社区村", inactive: "（已停用）",
    council: "议事会", topics: "议题", standards: "达标情况", procedure: "议事流程", venue: "议事场所",
    term: "任期", roster: "成员", category: "类别", role: "职务", remarks: "组成提示", documents: "存档文档",
    no_council: "尚未设立议事会", title: "标题", step: "步骤", status: "状态", created: "提交时间",
    met: "已达 {m} / {n} 项", yes: "✓ 达标", no: "✗ 未达", history: "办理经过", back: "返回",
    open: "办理中", closed: "已办结", rejected: "不予协商", withdrawn: "已撤回", cadre: "干部", cppcc: "政协委员",
    blocked: "暂不可执行", can_do: "可执行操作", none_set: "未登记",
  },
  en: {
    brand: "Yishi · Community consultation", login_title: "Sign in", username: "Username", password: "Password",
    login: "Sign in", logout: "Sign out", my_regions: "My regions", search: "Search",
    search_ph: "Search regions by name or code", code: "Code", name: "Name", level: "Level",
    children: "Children", prev: "Previous", next: "Next", page: "Page {p}, {t} in all", none: "Nothing found",
    other_lang: "中文", city: "city", district: "district", street: "street", community: "community",
    inactive: " (inactive)",
    council: "Council", topics: "Topics", standards: "Standards", procedure: "Procedure", venue: "Venue",
    term: "Term", roster: "Members", category: "Category", role: "Role", remarks: "Composition remarks",
    documents: "Documents on file", no_council: "No council yet", title: "Title", step: "Step", status: "Status",
    created: "Submitted", met: "{m} of {n} met", yes: "✓ met", no: "✗ not met", history: "History", back: "Back",
    open: "open", closed: "closed", rejected: "rejected", withdrawn: "withdrawn", cadre: "cadre",
    cppcc: "CPPCC member", blocked: "Not possible yet", can_do: "Actions", none_set: "not registered",
  },
};

let lang = localStorage.getItem("yishi.lang") || "zh-CN";
const t = (key, vars = {}) =>
  (TEXT[lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k]);
const $ = (sel) => document.querySelector(sel);

// The server refuses a cookie-authenticated change unless it echoes the yishi_csrf cookie
// in X-CSRF-Token: another site's form can carry our cookies but not set that header.
// /me hands the value out too, for a session whose cookie predates it.
let csrfFromMe = "";
const csrfToken = () => {
  const found = document.cookie.split("; ").find((c) => c.startsWith("yishi_csrf="));
  return found ? decodeURIComponent(found.slice("yishi_csrf=".length)) : csrfFromMe;
};
const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

async function api(path, options = {}) {
  const method = (options.method || "GET").toUpperCase();
  const headers = { "Accept-Language": lang, "Content-Type": "application/json", ...(options.headers || {}) };
  if (!SAFE_METHODS.includes(method)) headers["X-CSRF-Token"] = csrfToken();
  const res = await fetch("/api/v1" + path, { credentials: "same-origin", ...options, headers });
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body && body.error ? body.error.message : res.statusText);
    err.status = res.status;
    err.body = body;
    throw err;
  }
  return body;
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $("#lang").textContent = t("other_lang");
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => (k.startsWith("on") ? node.addEventListener(k.slice(2), v) : node.setAttribute(k, v)));
  children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return node;
}

function regionTable(items) {
  if (!items.length) return el("p", {}, t("none"));
  return el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, t("code")), el("th", {}, t("name")), el("th", {}, t("level")))),
    el("tbody", {}, items.map((r) => el("tr", {},
      el("td", {}, r.code),
      el("td", {}, el("a", { onclick: () => showRegion(r.code) }, r.name + (r.active === false ? t("inactive") : ""))),
      el("td", {}, t(r.level))))));
}

async function showRegion(code, page = 1) {
  const box = $("#region");
  try {
    const region = await api(`/regions/${code}`);
    const kids = await api(`/regions/${code}/children?page=${page}&page_size=50`);
    const crumbs = el("p", { class: "crumbs" });
    if (region.parent_code) crumbs.append(el("a", { onclick: () => showRegion(region.parent_code) }, "↑ " + region.parent_code));
    const pages = Math.max(1, Math.ceil(kids.total / kids.page_size));
    box.replaceChildren(
      crumbs,
      el("h2", {}, `${region.name} · ${region.code} · ${t(region.level)}`),
      // A community has no level below it: no empty children table.
      kids.total ? el("div", { class: "pager" },
        el("span", {}, t("page", { p: `${page}/${pages}`, t: kids.total })),
        page > 1 ? el("button", { class: "link", onclick: () => showRegion(code, page - 1) }, t("prev")) : "",
        page < pages ? el("button", { class: "link", onclick: () => showRegion(code, page + 1) }, t("next")) : "") : "",
      kids.total ? regionTable(kids.items) : "",
      regionPanels(code));
  } catch (err) {
    box.replaceChildren(el("p", { class: "error" }, err.message));
  }
}

// Chinese or English field of an API answer ("title_zh" / "title_en").
const loc = (obj, field) => (lang === "en" ? obj[field + "_en"] || obj[field + "_zh"] : obj[field + "_zh"]) || "";

// The region's council, topics, standards and procedure, each filled in when its
// answer arrives; a panel the caller may not read (403/404) stays out.
function regionPanels(code) {
  const box = el("div", { class: "panels" });
  const panel = (key, loader) => {
    const section = el("section", { class: "card panel", id: `panel-${key}` }, el("h3", {}, t(key)));
    box.append(section);
    loader().then((content) => section.append(...[content].flat()))
      .catch((err) => (err.status === 403 || err.status === 404 ? section.remove()
        : section.append(el("p", { class: "error" }, err.message))));
  };
  panel("council", () => councilPanel(code));
  panel("topics", () => topicsPanel(code));
  panel("standards", () => standardsPanel(code));
  panel("procedure", async () => {
    await api(`/regions/${code}/procedure`);
    return el("img", { class: "flowchart", alt: t("procedure"), src: `/api/v1/regions/${code}/procedure.svg?lang=${lang === "en" ? "en" : "zh"}` });
  });
  return box;
}

async function councilPanel(code) {
  const c = await api(`/regions/${code}/council`);
  if (!c.council.exists) return el("p", {}, t("no_council"));
  const parts = [
    el("p", {}, el("strong", {}, c.council.name)),
    el("p", {}, `${t("venue")}: ${c.council.venue || t("none_set")}`),
  ];
  if (c.term) parts.push(el("p", {}, `${t("term")}: ${c.term.number} · ${c.term.starts_on} – ${c.term.ends_on || "…"}`));
  if (c.violations.length) {
    parts.push(el("h4", {}, t("remarks")),
      el("ul", { class: "remarks" }, c.violations.map((v) => el("li", { class: v.blocking ? "blocking" : "" }, loc(v, "message")))));
  }
  parts.push(el("h4", {}, `${t("roster")} (${c.roster.length})`), el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, t("name")), el("th", {}, t("category")), el("th", {}, t("role")))),
    el("tbody", {}, c.roster.map((m) => el("tr", {},
      el("td", {}, m.name + (m.is_cadre ? ` · ${t("cadre")}` : "") + (m.is_cppcc ? ` · ${t("cppcc")}` : "")),
      el("td", {}, loc(m, "category")), el("td", {}, m.grid ? `${loc(m, "role")} · ${m.grid}` : loc(m, "role")))))));
  const docs = await api(`/regions/${code}/council/documents`);
  if (docs.items.length) {
    parts.push(el("h4", {}, t("documents")), el("ul", {}, docs.items.map((d) =>
      el("li", {}, el("a", { href: `/api/v1/attachments/${d.attachment_id}` }, d.title), ` · ${loc(d, "kind")}`))));
  }
  return parts;
}

async function topicsPanel(code) {
  const list = await api(`/regions/${code}/topics?page_size=20`);
  if (!list.items.length) return el("p", {}, t("none"));
  return el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, t("title")), el("th", {}, t("step")), el("th", {}, t("status")), el("th", {}, t("created")))),
    el("tbody", {}, list.items.map((x) => el("tr", {},
      el("td", {}, el("a", { onclick: () => showTopic(x.id, code) }, x.title)),
      el("td", {}, loc(x.step, "title")), el("td", {}, t(x.status)), el("td", {}, x.created_at.slice(0, 10))))));
}

async function showTopic(id, backTo) {
  const box = $("#region");
  try {
    const x = await api(`/topics/${id}`);
    const stage = x.stage ? `${loc(x.stage, "title")} · ` : "";
    box.replaceChildren(
      el("p", { class: "crumbs" }, el("a", { onclick: () => showRegion(backTo) }, "← " + t("back"))),
      el("h2", {}, x.title),
      el("p", {}, `${loc(x.procedure, "title")} · ${stage}${loc(x.step, "title")} · ${t(x.status)}`),
      el("p", {}, x.description || ""),
      x.actions.length ? el("p", {}, `${t("can_do")}: ${x.actions.map((a) => loc(a, "title")).join("、")}`) : "",
      x.blocked_actions.length ? el("ul", { class: "remarks" }, x.blocked_actions.map((a) =>
        el("li", {}, `${t("blocked")}: ${loc(a, "title")} (${loc(a, "reason")})`))) : "",
      el("h3", {}, t("history")),
      el("ol", { class: "history" }, x.history.map((e) => el("li", {}, `${e.at.slice(0, 16).replace("T", " ")} · ${e.actor_name} · ${e.action}${e.note ? " · " + e.note : ""}`))));
  } catch (err) {
    box.replaceChildren(el("p", { class: "error" }, err.message));
  }
}

async function standardsPanel(code) {
  const found = await api(`/regions/${code}/compliance`);
  if (!found.items.length) return el("p", {}, t("none"));
  return found.items.map((r) => el("div", { class: "standard" },
    el("h4", {}, `${loc(r, "title")} · ${t("met", { m: r.met, n: r.total })}`),
    el("ul", {}, r.items.map((i) => el("li", { class: i.met ? "met" : "unmet" },
      `${i.met ? t("yes") : t("no")} ${loc(i, "title")}${loc(i, "detail") ? "：" + loc(i, "detail") : ""}`)))));
}

async function showHome() {
  let me;
  try {
    me = await api("/me");
    csrfFromMe = me.csrf_token || "";
  } catch (err) {
    $("#login-view").hidden = false;
    $("#home-view").hidden = true;
    $("#logout").hidden = true;
    $("#who").textContent = "";
    return;
  }
  $("#login-view").hidden = true;
  $("#home-view").hidden = false;
  $("#logout").hidden = false;
  $("#who").textContent = me.user.display_name || me.user.username;
  const grants = $("#grants");
  grants.replaceChildren(...me.roles.map((g) => el("button", { type: "button", onclick: () => g.region_code && showRegion(g.region_code) },
    g.region_name || "—", el("small", {}, lang === "en" ? g.label_en : g.label_zh))));
  const first = me.roles.find((g) => g.region_code);
  if (first) showRegion(first.region_code);
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  $("#login-error").textContent = "";
  try {
    await api("/auth/login", { method: "POST", body: JSON.stringify({ username: form.get("username"), password: form.get("password") }) });
    ev.target.reset();
    showHome();
  } catch (err) {
    $("#login-error").textContent = err.message;
  }
});

$("#search-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = new FormData(ev.target).get("q").trim();
  try {
    const found = await api(`/regions?q=${encodeURIComponent(q)}`);
    $("#region").replaceChildren(el("h2", {}, `${t("search")}: ${q}`), regionTable(found.items));
  } catch (err) {
    $("#region").replaceChildren(el("p", { class: "error" }, err.message));
  }
});

$("#logout").addEventListener("click", async () => {
  await api("/auth/logout", { method: "POST" }).catch(() => null);
  showHome();
});

$("#lang").addEventListener("click", () => {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("yishi.lang", lang);
  applyLanguage();
  showHome();
});

applyLanguage();
showHome();
