// The dashboard's state, navigation (#/ overview, #/cell/ID, filters in the hash), sign-in,
// reads of the API and live updates from /v1/events/stream (server-sent events).
// Sign-in: the official pastes a token once; POST /v1/session keeps it in an HttpOnly
// cookie that every read and the event stream send (this script never stores it).

import * as L from "./labels.js";
import { renderCell, renderRanking, renderSummary } from "./views.js";

const $ = (selector) => document.querySelector(selector);
const ZONE = "Asia/Shanghai"; // the city's calendar, as the scoring service's
// after a change, wait this long (gathering further changes) before re-reading: at most
// one refresh per interval however fast events arrive
const REFRESH_AFTER_MS = 500;

const state = {
  view: "overview",
  cellId: null,
  period: null,
  district: "",
  cellType: "",
  names: new Map(), // cell_id -> name, from rankings
  scores: new Map(), // cell_id -> score last shown, to mark rows that changed
  districts: new Set(),
  busy: false,
  again: false,
  timer: null,
  refreshes: 0,
  signedIn: false,
  source: null, // the EventSource while signed in
};

// a read refused for want of a valid session: the sign-in form is shown instead
class SignedOut extends Error {}

const JSON_HEADERS = { Accept: "application/json" };

function thisMonth() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit" })
    .formatToParts(new Date());
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: get("year"), month: get("month") };
}

function periodOptions() {
  const { year, month } = thisMonth();
  const options = [];
  for (let i = 0; i < 12; i += 1) {
    const m = new Date(Date.UTC(year, month - 1 - i, 1));
    const key = `${m.getUTCFullYear()}-${String(m.getUTCMonth() + 1).padStart(2, "0")}`;
    options.push([key, `${key}（月 month）`]);
  }
  const quarter = Math.floor((month - 1) / 3) + 1;
  for (let i = 0; i < 4; i += 1) {
    const q = (quarter - 1 - i + 8) % 4 + 1;
    const y = year - (quarter - i <= 0 ? 1 : 0);
    options.push([`${y}-Q${q}`, `${y}-Q${q}（季度 quarter）`]);
  }
  options.push([String(year), `${year}（年 year）`], [String(year - 1), `${year - 1}（年 year）`]);
  return options;
}

function fillSelect(select, options, value) {
  const keep = select.value;
  select.replaceChildren();
  for (const [code, text] of options) select.append(new Option(text, code));
  select.value = value ?? keep;
}

function readHash() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const match = /^\/cell\/(.+)$/.exec(path || "/");
  state.view = match ? "cell" : "overview";
  state.cellId = match ? decodeURIComponent(match[1]) : null;
  state.period = params.get("period") || state.period || periodOptions()[0][0];
  state.district = params.get("district") ?? "";
  state.cellType = params.get("cell_type") ?? "";
}

function hashFor(view, cellId) {
  const params = new URLSearchParams({ period: state.period });
  if (state.district) params.set("district", state.district);
  if (state.cellType) params.set("cell_type", state.cellType);
  const path = view === "cell" ? `/cell/${encodeURIComponent(cellId)}` : "/";
  return `#${path}?${params}`;
}

function syncFilters() {
  const periods = periodOptions();
  if (!periods.some(([code]) => code === state.period)) periods.unshift([state.period, state.period]);
  fillSelect($("#period"), periods, state.period);
  const districts = [...new Set([...state.districts, state.district].filter(Boolean))].sort();
  fillSelect($("#district"), [["", "全部 All"], ...districts.map((d) => [d, d])], state.district);
  fillSelect($("#cell-type"), [["", "全部 All"], ...Object.entries(L.CELL_TYPES)], state.cellType);
}

async function detailOf(response) {
  const body = await response.json().catch(() => ({}));
  return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? "");
}

async function getJson(path) {
  const response = await fetch(path, { headers: JSON_HEADERS });
  if (response.status === 401) {
    signedOut(`会话已失效，请重新登录 Please sign in again — ${await detailOf(response)}`);
    throw new SignedOut(path);
  }
  if (!response.ok) throw new Error(`${response.status} ${path}: ${await detailOf(response)}`);
  return response.json();
}

function query(extra = {}) {
  const params = new URLSearchParams({ period: state.period, ...extra });
  if (state.district) params.set("district", state.district);
  if (state.cellType) params.set("cell_type", state.cellType);
  return params.toString();
}

async function loadOverview() {
  const [summary, ranking, city] = await Promise.all([
    getJson(`/v1/city/summary?${query()}`),
    getJson(`/v1/rankings?${query()}`),
    state.district ? getJson(`/v1/city/summary?period=${encodeURIComponent(state.period)}`) : null,
  ]);
  for (const d of (city ?? summary).districts) state.districts.add(d.district);
  const scope = [state.district || "全市 City", state.cellType && L.label(L.CELL_TYPES, state.cellType)]
    .filter(Boolean)
    .join(" · ");
  renderSummary(summary, scope);
  renderRanking(ranking, state.scores, (cellId) => hashFor("cell", cellId));
  for (const row of ranking.rows) {
    state.names.set(row.cell_id, row.name);
    state.scores.set(row.cell_id, row.score);
  }
  $("#system").textContent = `指标体系 Indicator system: ${ranking.system_id} v${ranking.system_version}`;
}

async function loadCell() {
  const id = encodeURIComponent(state.cellId);
  const period = encodeURIComponent(state.period);
  const [score, history, flows] = await Promise.all([
    getJson(`/v1/cells/${id}/scores/${period}`),
    getJson(`/v1/cells/${id}/scores?kind=month`),
    getJson(`/v1/cells/${id}/flows/${period}`),
  ]);
  renderCell(score, state.names.get(state.cellId) ?? state.cellId, history, flows);
}

function show() {
  $("#overview").hidden = state.view !== "overview";
  $("#cell").hidden = state.view !== "cell";
  $("#back").href = hashFor("overview");
}

async function refresh() {
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  try {
    show();
    await (state.view === "cell" ? loadCell() : loadOverview());
    syncFilters();
    $("#error").hidden = true;
    state.refreshes += 1;
    document.body.dataset.refreshes = String(state.refreshes);
    $("#updated").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false });
  } catch (error) {
    if (error instanceof SignedOut) return;
    $("#error").textContent = `无法加载数据 Could not load data — ${error.message}`;
    $("#error").hidden = false;
  } finally {
    state.busy = false;
    if (state.again) {
      state.again = false;
      refresh();
    }
  }
}

function later() {
  if (state.timer !== null) return;
  state.timer = setTimeout(() => {
    state.timer = null;
    refresh();
  }, REFRESH_AFTER_MS);
}

function setLive(mode, text) {
  $("#live").className = `live ${mode}`;
  $("#live-text").textContent = text;
}

function stopFollowing() {
  if (state.source !== null) state.source.close();
  state.source = null;
}

// The browser reconnects a dropped stream by itself, but gives up on a refusal (the token
// expired, the stream ends then): ask who is signed in, then follow again or sign in.
async function recheck() {
  const response = await fetch("/v1/session", { headers: JSON_HEADERS }).catch(() => null);
  if (response === null || response.ok) setTimeout(() => state.signedIn && follow(), 3000);
  else signedOut("会话已过期，请重新登录 Your session expired: sign in again");
}

function follow() {
  stopFollowing();
  const source = new EventSource("/v1/events/stream");
  state.source = source;
  source.onopen = () => setLive("on", "实时更新中 Live");
  source.onerror = () => {
    setLive("off", "实时更新已断开，正在重连 Reconnecting…");
    if (source.readyState === EventSource.CLOSED && state.source === source) {
      state.source = null;
      recheck();
    }
  };
  source.onmessage = (message) => {
    const change = JSON.parse(message.data);
    if (change.kind === "hello") return setLive("on", "实时更新中 Live");
    if (change.kind === "cell" && change.cell_id) state.districts.clear();
    const mine = state.view === "overview" || change.cell_id === state.cellId;
    if (mine || change.kind === "resync") later();
  };
}

function onFilter(event) {
  if (event.target.id === "period") state.period = event.target.value;
  if (event.target.id === "district") state.district = event.target.value;
  if (event.target.id === "cell-type") state.cellType = event.target.value;
  location.hash = hashFor(state.view, state.cellId);
}

function showSignedIn(signedIn) {
  for (const id of ["#filters", "#main", "#who"]) $(id).hidden = !signedIn;
  $("#signin").hidden = signedIn;
}

function signedOut(message = "") {
  state.signedIn = false;
  stopFollowing();
  showSignedIn(false);
  setLive("off", "未登录 Signed out");
  $("#signin-error").textContent = message;
  $("#signin-error").hidden = !message;
  $("#token").focus();
}

function begin(who) {
  state.signedIn = true;
  $("#who-text").textContent = `官员 Official ${who.sub} · ${who.province}`;
  showSignedIn(true);
  refresh();
  follow();
}

async function signIn(event) {
  event.preventDefault();
  const response = await fetch("/v1/session", {
    method: "POST",
    headers: { ...JSON_HEADERS, "Content-Type": "application/json" },
    body: JSON.stringify({ token: $("#token").value.trim() }),
  }).catch(() => null);
  if (response === null) return signedOut("无法连接服务 The service does not answer");
  if (!response.ok) return signedOut(`${response.status}: ${await detailOf(response)}`);
  $("#token").value = "";
  begin(await response.json());
}

async function signOut() {
  await fetch("/v1/session", { method: "DELETE" }).catch(() => null);
  signedOut();
}

async function start() {
  const response = await fetch("/v1/session", { headers: JSON_HEADERS }).catch(() => null);
  if (response === null) {
    $("#error").textContent = "无法连接服务 The service does not answer: reload later";
    $("#error").hidden = false;
  } else if (response.ok) begin(await response.json());
  else signedOut();
}

window.addEventListener("hashchange", () => {
  readHash();
  if (state.signedIn) refresh();
});
document.addEventListener("DOMContentLoaded", () => {
  readHash();
  syncFilters();
  $("#filters").addEventListener("change", onFilter);
  $("#filters").addEventListener("submit", (event) => event.preventDefault());
  $("#signin-form").addEventListener("submit", signIn);
  $("#signout").addEventListener("click", signOut);
  start();
});
