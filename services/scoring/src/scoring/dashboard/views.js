// Renders the overview (summary, charts, rankings, districts) and a cell's page from the
// API's answers. Text goes in with textContent only: names come from the cell registry.

import { barChart, donutChart, lineChart } from "./charts.js";
import * as L from "./labels.js";

const $ = (selector) => document.querySelector(selector);

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

function badge(band) {
  const span = document.createElement("span");
  span.className = `band band-${band}`;
  span.textContent = L.label(L.BANDS, band);
  return span;
}

function kpis(list, items) {
  list.replaceChildren();
  for (const [term, value, id] of items) {
    const div = document.createElement("div");
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = value;
    if (id) dd.dataset.kpi = id;
    div.append(dt, dd);
    list.append(div);
  }
}

function categoryItems(kgByCategory) {
  return Object.entries(kgByCategory).map(([code, value]) => ({
    label: L.label(L.CATEGORIES, code),
    value,
    color: L.CATEGORY_COLORS[code] ?? "#555",
  }));
}

export function renderSummary(summary, scope) {
  $("#summary-scope").textContent = `${summary.period} · ${scope}`;
  kpis($("#kpis"), [
    ["细胞数 Cells", `${summary.cells}（有数据 with data ${summary.cells_with_flows}）`, "cells"],
    ["平均分 Mean score", L.score(summary.mean_score), "mean-score"],
    ["产生量 Generated", `${L.kg(summary.generated_kg)} kg`, "generated"],
    ["资源化率 Recycling rate", L.percent(summary.recycling_rate), "recycling-rate"],
    ["填埋率 Landfill rate", L.percent(summary.landfill_rate), "landfill-rate"],
    ["干垃圾填埋比例 Dry waste landfilled", L.percent(summary.residual_landfill_share), "residual"],
    ["流向记录 Flow events", String(summary.flow_events), "flow-events"],
  ]);
  const bands = Object.entries(summary.cells_by_band).map(([band, count]) => ({
    label: L.label(L.BANDS, band),
    value: count,
    color: L.BAND_COLORS[band] ?? "#555",
  }));
  barChart($("#bands-chart"), bands, {
    title: "各等级细胞数 Cells by score band",
    format: (v) => `${v}`,
  });
  donutChart($("#shares-chart"), categoryItems(summary.generated_kg_by_category), {
    title: "各类别产生量占比 Share of each category in the waste generated",
    format: (v) => `${L.kg(v)} kg`,
  });
  const body = $("#districts tbody");
  body.replaceChildren();
  for (const d of summary.districts) {
    const row = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = d.district;
    row.append(th);
    cell(row, String(d.cells), "num");
    cell(row, L.score(d.mean_score), "num");
    cell(row, L.kg(d.generated_kg), "num");
    cell(row, L.percent(d.recycling_rate), "num");
    body.append(row);
  }
}

export function renderRanking(ranking, previous, hrefFor) {
  const body = $("#ranking tbody");
  body.replaceChildren();
  $("#ranking-caption").textContent =
    `${ranking.period} · ${ranking.rows.length} 个细胞 cells · ` +
    `${ranking.system_id} v${ranking.system_version}`;
  if (!ranking.rows.length) {
    const row = document.createElement("tr");
    const td = cell(row, "暂无已登记的细胞 No registered cell matches these filters", "empty");
    td.colSpan = 7;
    body.append(row);
  }
  for (const r of ranking.rows) {
    const row = document.createElement("tr");
    row.dataset.cellId = r.cell_id;
    cell(row, String(r.rank), "num");
    const th = document.createElement("th");
    th.scope = "row";
    const link = document.createElement("a");
    link.href = hrefFor(r.cell_id);
    link.textContent = r.name;
    th.append(link);
    row.append(th);
    cell(row, r.district);
    cell(row, L.label(L.CELL_TYPES, r.cell_type));
    cell(row, L.score(r.score), "num score");
    row.append(document.createElement("td"));
    row.lastChild.append(badge(r.band));
    cell(row, r.qualified ? "无 None" : "否决 Vetoed");
    const before = previous.get(r.cell_id);
    if (before !== undefined && before !== r.score) row.classList.add("changed");
    body.append(row);
  }
}

export function renderCell(score, name, history, flows) {
  $("#cell-h").textContent = `${name} · ${score.period}`;
  kpis($("#cell-kpis"), [
    ["得分 Score", L.score(score.score), "score"],
    ["等级 Band", L.label(L.BANDS, score.band), "band"],
    ["得分/满分 Points", `${L.score(score.points)} / ${L.score(score.max_points)}`, "points"],
    ["区 District", score.district, "district"],
    ["类型 Type", L.label(L.CELL_TYPES, score.cell_type), "type"],
    ["产生量 Generated", `${L.kg(flows.generated_kg)} kg`, "generated"],
    ["资源化率 Recycling rate", L.percent(flows.recycling_rate), "recycling-rate"],
    ["流向记录 Flow events", String(score.flow_events), "flow-events"],
    ["计算至 As of", score.as_of, "as-of"],
  ]);
  lineChart(
    $("#trend-chart"),
    history.scores.map((s) => ({ label: s.period, value: s.score })),
    {
      title: "每月得分 Monthly score",
      guides: [{ value: 60 }, { value: 75 }, { value: 90 }],
      format: L.score,
    },
  );
  donutChart($("#cell-shares-chart"), categoryItems(flows.generated_kg_by_category), {
    title: "本期各类别产生量占比 Share of each category in the waste generated",
    format: (v) => `${L.kg(v)} kg`,
  });
  renderIndicators(score.indicators);
  renderVetoes(score.vetoes);
}

function renderIndicators(indicators) {
  const body = $("#indicators tbody");
  body.replaceChildren();
  for (const i of indicators) {
    const row = document.createElement("tr");
    row.dataset.indicator = i.id;
    row.className = `status-${i.status}`;
    const th = document.createElement("th");
    th.scope = "row";
    const zh = L.INDICATORS_ZH[i.id];
    th.textContent = zh ? `${zh} ${i.name}` : i.name;
    row.append(th);
    cell(row, L.label(L.MEE_CATEGORIES, i.category));
    cell(row, L.measure(i.value, i.unit), "num");
    cell(row, L.measure(i.target, i.unit), "num");
    const points = i.status === "excluded" ? "—" : `${L.score(i.points)} / ${L.score(i.weight)}`;
    cell(row, points, "num");
    cell(row, L.label(L.STATUSES, i.status), "status");
    cell(row, i.advice ?? "—");
    body.append(row);
  }
}

function renderVetoes(vetoes) {
  const list = $("#vetoes");
  list.replaceChildren();
  if (!vetoes.length) {
    const li = document.createElement("li");
    li.textContent = "本类型无否决项 No veto item applies to this cell type";
    list.append(li);
  }
  for (const v of vetoes) {
    const li = document.createElement("li");
    li.className = v.triggered ? "veto triggered" : "veto";
    li.textContent = v.triggered
      ? `⚠ 已触发 Triggered: ${v.name} (${v.count})`
      : `✓ 未触发 Not triggered: ${v.name}`;
    list.append(li);
  }
}
