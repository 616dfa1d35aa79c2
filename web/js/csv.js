// Keeps only some records of a CSV file (RFC 4180: quoted fields may hold commas, quotes and
// line breaks), passing each kept record through byte for byte, so the server stays the one
// place that decides the columns, quoting and labels of the audit CSV.

/** Splits CSV text into records: `raw` is the record's text with its line break, `fields` its values. */
export function csvRecords(text) {
  const records = [];
  let fields = [];
  let field = "";
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      fields.push(field);
      records.push({ raw: text.slice(start, i + 1), fields });
      fields = [];
      field = "";
      start = i + 1;
    } else field += c;
  }
  if (start < text.length) records.push({ raw: text.slice(start), fields: [...fields, field] });
  return records;
}

/**
 * The header and the records whose `column` (named in the header) passes `keep`, with the
 * UTF-8 byte order mark Excel needs in front.
 */
export function filterCsv(text, column, keep) {
  const [header, ...rows] = csvRecords(text.replace(/^\uFEFF/, ""));
  if (!header) return text;
  const at = header.fields.indexOf(column);
  if (at < 0) throw new Error(`CSV has no column ${column}`);
  return "\uFEFF" + header.raw + rows.filter((r) => keep(r.fields[at])).map((r) => r.raw).join("");
}
