// The admin pages: plain JavaScript against /api/v1, no external scripts.
"use strict";

const TEXT = {
  "zh-CN": {
    brand: "议事 · 基层协商平台", login_title: "登录", username: "用户名", password: "密码", login: "登录",
    logout: "退出登录", my_regions: "我的辖区", search: "搜索", search_ph: "按名称或代码搜索辖区",
    code: "区划代码", name: "名称", level: "层级", children: "下级", prev: "上一页", next: "下一页",
    page: "第 {p} 页，共 {t} 条", none: "没有结果", other_lang: "English",
    city: "市", district: "区县", street: "街道乡镇", community: "社区村", inactive: "（已停用）",
  },
  en: {
    brand: "Yishi · Community consultation", login_title: "Sign in", username: "Username", password: "Password",
    login: "Sign in", logout: "Sign out", my_regions: "My regions", search: "Search",
    search_ph: "Search regions by name or code", code: "Code", name: "Name", level: "Level",
    children: "Children", prev: "Previous", next: "Next", page: "Page {p}, {t} in all", none: "Nothing found",
    other_lang: "中文", city: "city", district: "district", street: "street", community: "community",
    inactive: " (inactive)",
  },
};

let lang = localStorage.getItem("yishi.lang") || "zh-CN";
const t = (key, vars = {}) =>
  (TEXT[lang][key] || key).replace(/\{(\w+)\}/g, (_, k) => vars[k]);
const $ = (sel) => document.querySelector(sel);

async function api(path, options = {}) {
  const res = await fetch("/api/v1" + path, {
    credentials: "same-origin",
    ...options,
    headers: { "Accept-Language": lang, "Content-Type": "application/json", ...(options.headers || {}) },
  });
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
      el("div", { class: "pager" },
        el("span", {}, t("page", { p: `${page}/${pages}`, t: kids.total })),
        page > 1 ? el("button", { class: "link", onclick: () => showRegion(code, page - 1) }, t("prev")) : "",
        page < pages ? el("button", { class: "link", onclick: () => showRegion(code, page + 1) }, t("next")) : ""),
      regionTable(kids.items));
  } catch (err) {
    box.replaceChildren(el("p", { class: "error" }, err.message));
  }
}

async function showHome() {
  let me;
  try {
    me = await api("/me");
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
