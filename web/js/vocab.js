// The server's vocabularies (kinds, hazards, outlet types, statuses, severities…) with their
// labels, from GET /api/v1/config: the one source, so the pages never list them again.
import { currentLang } from "./i18n.js";

let vocabularies = {};

/** Keeps the `vocabularies` of the config answer for `label` and `values`. */
export function setVocabularies(v) {
  vocabularies = v || {};
}

/** Every value of vocabulary `name` (`"hazards"`, `"power_point_kinds"`…), in the server's order. */
export function values(name) {
  return (vocabularies[name] || []).map((term) => term.value);
}

/** The label of `value` in vocabulary `name`, in the current language; the value itself if unknown. */
export function label(name, value) {
  const term = (vocabularies[name] || []).find((x) => x.value === value);
  return term ? term[currentLang()] || term.ja : String(value ?? "");
}
