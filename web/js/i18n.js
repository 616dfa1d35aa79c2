// Every user-visible string, Japanese first. `t(key)` reads the current language.
const STRINGS = {
  ja: {
    title: "災害時電源マップ（白井市）",
    subtitle: "停電時に医療機器を動かせる電源を探す",
    locate: "現在地から探す",
    tapHint: "地図をタップしても探せます",
    outlet: "差込口",
    any: "指定なし",
    minW: "必要な電力 (W)",
    pureSine: "正弦波が必要",
    search: "近くの電源を探す",
    results: "近くの電源",
    none: "条件に合う電源が見つかりません",
    walk: "徒歩",
    drive: "車",
    min: "分",
    hours: "利用時間",
    registration: "要事前登録",
    callFirst: "事前に電話",
    withinBattery: "バッテリー内で到着可",
    beyondBattery: "バッテリー切れの恐れ",
    token: "家族用トークン",
    tokenSave: "保存",
    tokenClear: "削除",
    myChild: "お子さんの機器",
    lifeCritical: "生命維持",
    battery: "バッテリー",
    offline: "背景地図を読み込めません（オフライン）。電源ポイントと一覧は使えます。",
    origin: "探す地点",
    lang: "English",
    error: "エラー",
    geoFailed: "現在地を取得できません。地図をタップしてください。",
    shelter: "避難所",
    status: { available: "利用可", limited: "制限あり", unavailable: "使用不可", unknown: "不明" },
    kinds: { generator: "発電機", charging_station: "充電スポット", ev_supply: "EV給電", battery_station: "蓄電池", facility_outlet: "施設コンセント", hospital: "病院" },
    devices: { ventilator: "人工呼吸器", suction: "吸引器", oxygen_concentrator: "酸素濃縮装置", feeding_pump: "経管栄養ポンプ", pulse_oximeter: "パルスオキシメーター", nebulizer: "ネブライザー", humidifier: "加温加湿器", other: "その他" },
  },
  en: {
    title: "Outage power map (Shiroi)",
    subtitle: "Find power that can run medical devices in an outage",
    locate: "Search from my location",
    tapHint: "or tap the map",
    outlet: "Outlet",
    any: "Any",
    minW: "Power needed (W)",
    pureSine: "Pure sine wave",
    search: "Find nearby power",
    results: "Nearby power",
    none: "No power point matches",
    walk: "Walk",
    drive: "Car",
    min: "min",
    hours: "Hours",
    registration: "Registration required",
    callFirst: "Call first",
    withinBattery: "Reachable on battery",
    beyondBattery: "Battery may run out",
    token: "Family token",
    tokenSave: "Save",
    tokenClear: "Remove",
    myChild: "Your child's devices",
    lifeCritical: "life-critical",
    battery: "battery",
    offline: "Base map unavailable (offline). Power points and the list still work.",
    origin: "Search point",
    lang: "日本語",
    error: "Error",
    geoFailed: "Location unavailable. Tap the map instead.",
    shelter: "Shelter",
    status: { available: "available", limited: "limited", unavailable: "unavailable", unknown: "unknown" },
    kinds: { generator: "Generator", charging_station: "Charging spot", ev_supply: "EV supply", battery_station: "Battery station", facility_outlet: "Facility outlet", hospital: "Hospital" },
    devices: { ventilator: "Ventilator", suction: "Suction", oxygen_concentrator: "Oxygen concentrator", feeding_pump: "Feeding pump", pulse_oximeter: "Pulse oximeter", nebulizer: "Nebulizer", humidifier: "Humidifier", other: "Other" },
  },
};

let lang = localStorage.getItem("powermap.lang") === "en" ? "en" : "ja";

export function t(key) {
  return key.split(".").reduce((o, k) => (o ? o[k] : undefined), STRINGS[lang]) ?? key;
}

export function currentLang() {
  return lang;
}

export function toggleLang() {
  lang = lang === "ja" ? "en" : "ja";
  localStorage.setItem("powermap.lang", lang);
  document.documentElement.lang = lang;
}

/** Fills every element carrying data-i18n="key" with its string. */
export function applyStrings(root = document) {
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
}
