// Chinese labels (with English) for the codes the API returns, and number formats.

export const CELL_TYPES = {
  government_office: "机关 Government office",
  factory: "工厂 Factory",
  industrial_park: "工业园区 Industrial park",
  enterprise_group: "企业集团 Enterprise group",
  community: "社区 Community",
  campus: "校园 Campus",
  shopping_mall: "商场 Shopping mall",
  restaurant: "餐馆 Restaurant",
  hotel: "酒店 Hotel",
  scenic_area: "景区 Scenic area",
  hospital: "医院 Hospital",
};

export const CATEGORIES = {
  household_recyclable: "可回收物 Recyclable",
  household_hazardous: "有害垃圾 Household hazardous",
  household_wet: "湿垃圾 Wet",
  household_dry: "干垃圾 Dry",
  general_industrial: "一般工业固废 Industrial",
  construction: "建筑垃圾 Construction",
  hazardous: "危险废物 Hazardous",
  medical: "医疗废物 Medical",
  agricultural: "农业废弃物 Agricultural",
};

export const CATEGORY_COLORS = {
  household_recyclable: "#1f77b4",
  household_hazardous: "#d62728",
  household_wet: "#2ca02c",
  household_dry: "#7f7f7f",
  general_industrial: "#8c564b",
  construction: "#bcbd22",
  hazardous: "#9467bd",
  medical: "#e377c2",
  agricultural: "#17becf",
};

export const BANDS = {
  excellent: "优秀 Excellent",
  good: "良好 Good",
  qualified: "合格 Qualified",
  not_qualified: "不合格 Not qualified",
  no_data: "无数据 No data",
  disqualified: "一票否决 Disqualified",
};

export const BAND_COLORS = {
  excellent: "#1a7f37",
  good: "#4c9a2a",
  qualified: "#b08800",
  not_qualified: "#cf4b00",
  no_data: "#8c959f",
  disqualified: "#a40e26",
};

export const MEE_CATEGORIES = {
  source_reduction: "源头减量 Source reduction",
  recycling_and_utilisation: "资源化利用 Recycling",
  final_disposal: "最终处置 Final disposal",
  capacity: "保障能力 Capacity",
  public_satisfaction: "群众获得感 Satisfaction",
};

export const STATUSES = {
  met: "达标 Met",
  partial: "部分 Partial",
  not_met: "未达标 Not met",
  no_data: "无数据 No data",
  excluded: "不计 Not counted",
};

// Chinese names of the default system's indicators (the API gives the English name).
export const INDICATORS_ZH = {
  waste_per_person_day_reduction: "人均日产生量较基准下降率",
  recycling_rate: "资源化利用率",
  wet_waste_separation_rate: "湿垃圾分出率",
  residual_landfill_share: "干垃圾填埋比例",
  hazardous_manifest_compliance: "危险废物电子联单按时闭环率",
  reporting_timeliness: "数据填报及时率",
  reporting_completeness: "数据填报完整率",
  inspection_pass_rate: "检查合格率",
  satisfaction: "群众满意度",
};

export const label = (table, code) => table[code] ?? code;

const kgFormat = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 1 });
const scoreFormat = new Intl.NumberFormat("zh-CN", {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

export const kg = (value) => (value == null ? "—" : kgFormat.format(value));
export const score = (value) => (value == null ? "—" : scoreFormat.format(value));
export const percent = (value) =>
  value == null ? "—" : `${scoreFormat.format(100 * value)}%`;

// An indicator's value in its unit: ratios as percentages.
export function measure(value, unit) {
  if (value == null) return "—";
  if (unit === "ratio") return percent(value);
  return `${scoreFormat.format(value)}${unit === "score" ? "" : ` ${unit}`}`;
}
