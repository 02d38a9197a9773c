// Every date and time the app shows, in one place: formatted for the user's locale with
// `Intl.DateTimeFormat`, relative times counted in local calendar days, and the dates an operator
// types into a filter read back without surprises.
//
// Relative times (`formatRelative`):
//   less than a minute ago          "just now"
//   less than an hour ago           "5 min ago"
//   earlier the same calendar day   "3 h ago"
//   the previous calendar day       "yesterday 14:05"
//   2 to 6 calendar days ago        "Mon 14:05"
//   older (or in the future)        the date and time, "Dec 1, 2026, 14:05"
// Calendar days are local days: a run at 23:50 seen at 00:10 is "20 min ago", one at 18:00
// seen at 08:00 the next morning is "yesterday 18:00", never "14 h ago".

export type DateValue = string | number | Date | null | undefined;

let locale: string | undefined;
const cache = new Map<string, Intl.DateTimeFormat>();

/** The locale every format uses; `undefined` is the system's (tests pin one). */
export function setDateLocale(next: string | undefined): void {
  locale = next;
  cache.clear();
}

function fmt(key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    cache.set(key, f);
  }
  return f;
}

const DATE: Intl.DateTimeFormatOptions = { year: "numeric", month: "short", day: "numeric" };
const TIME: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit" };
const TIME_S: Intl.DateTimeFormatOptions = { ...TIME, second: "2-digit" };
const NUMERIC_DAY: Intl.DateTimeFormatOptions = { year: "numeric", month: "2-digit", day: "2-digit" };

/** A Date from an ISO text, epoch milliseconds or a Date; `null` when absent or unreadable. */
export function toDate(v: DateValue): Date | null {
  if (v === null || v === undefined || v === "") return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

const MISSING = "—";

/** "Dec 1, 2026" (in the locale's words and order). */
export function formatDate(v: DateValue): string {
  const d = toDate(v);
  return d ? fmt("date", DATE).format(d) : typeof v === "string" && v ? v : MISSING;
}

/** "14:05" or, with seconds, "14:05:09". */
export function formatTime(v: DateValue, opts: { seconds?: boolean } = {}): string {
  const d = toDate(v);
  if (!d) return MISSING;
  return opts.seconds ? fmt("time-s", TIME_S).format(d) : fmt("time", TIME).format(d);
}

/** "Dec 1, 2026, 14:05" or, with seconds, "Dec 1, 2026, 14:05:09": the app's one date-time. */
export function formatDateTime(v: DateValue, opts: { seconds?: boolean } = {}): string {
  const d = toDate(v);
  if (!d) return typeof v === "string" && v ? v : MISSING;
  return opts.seconds ? fmt("datetime-s", { ...DATE, ...TIME_S }).format(d) : fmt("datetime", { ...DATE, ...TIME }).format(d);
}

/** An event's time of day to the millisecond: "14:05:09.120". */
export function formatClock(epochMs: number): string {
  const d = toDate(epochMs);
  if (!d) return MISSING;
  return fmt("clock", { ...TIME_S, fractionalSecondDigits: 3 }).format(d);
}

/** Midnight (local) of the day `d` falls on. */
export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** Whole local calendar days from `earlier` to `later` (0 the same day, 1 the day before, …). */
export function calendarDaysBetween(earlier: Date, later: Date): number {
  // Rounded: a day across a daylight-saving change lasts 23 or 25 hours.
  return Math.round((startOfDay(later).getTime() - startOfDay(earlier).getTime()) / 86_400_000);
}

/** How long ago `v` was, by the rules at the top of this file. */
export function formatRelative(v: DateValue, now: number | Date = Date.now()): string {
  const d = toDate(v);
  if (!d) return typeof v === "string" && v ? v : MISSING;
  const nowDate = now instanceof Date ? now : new Date(now);
  const seconds = (nowDate.getTime() - d.getTime()) / 1000;
  if (seconds < -60) return formatDateTime(d);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  const days = calendarDaysBetween(d, nowDate);
  if (days === 0) return `${Math.floor(seconds / 3600)} h ago`;
  if (days === 1) return `yesterday ${formatTime(d)}`;
  if (days < 7) return `${fmt("weekday", { weekday: "short" }).format(d)} ${formatTime(d)}`;
  return formatDateTime(d);
}

// ---- Calendar days as `YYYY-MM-DD` (what the URL and the query keep) ----

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** The local calendar day of `d` as `YYYY-MM-DD`. */
export function localDay(d: Date): string {
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `day` moved by `n` calendar days. */
export function addDays(day: string, n: number): string {
  const d = dayDate(day);
  if (!d) return day;
  d.setDate(d.getDate() + n);
  return localDay(d);
}

function dayDate(day: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // new Date(y, …) maps years 0–99 to 1900–1999; set the year again to keep it exact.
  d.setFullYear(Number(m[1]));
  return d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3]) ? d : null;
}

/** A local calendar day as the UTC instant it starts at. */
export function dayStart(day: string): string | undefined {
  return dayDate(day)?.toISOString();
}

/** The instant the day after `day` starts (an inclusive "to" day). */
export function dayEnd(day: string): string | undefined {
  const d = dayDate(day);
  if (!d) return undefined;
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

// ---- Typed dates ----

type Part = "year" | "month" | "day";

/** The order of day, month and year in the locale's numeric dates, e.g. month, day, year. */
export function localeDayOrder(): Part[] {
  const parts = fmt("numeric-day", NUMERIC_DAY).formatToParts(new Date(2026, 11, 1));
  const order = parts.map((p) => p.type).filter((t): t is Part => t === "year" || t === "month" || t === "day");
  return order.length === 3 ? order : ["year", "month", "day"];
}

/** A day in the locale's numeric form with a four-digit year: "12/01/2026", "01.12.2026". */
export function formatDayInput(day: string): string {
  const d = dayDate(day);
  return d ? fmt("numeric-day", NUMERIC_DAY).format(d) : day;
}

/** How the locale writes a day, for hints: "MM/DD/YYYY", "DD.MM.YYYY". */
export function localeDayPattern(): string {
  const parts = fmt("numeric-day", NUMERIC_DAY).formatToParts(new Date(2026, 11, 1));
  const names: Record<string, string> = { year: "YYYY", month: "MM", day: "DD" };
  return parts.map((p) => names[p.type] ?? p.value).join("");
}

export type DateParse = { ok: true; day: string } | { ok: false; error: string };

function example(): string {
  return `2026-12-01 or ${formatDayInput("2026-12-01")}`;
}

/**
 * A typed day read as `YYYY-MM-DD`: `null` for an empty field, else the day or an error to
 * show. Accepts ISO (`2026-12-01`, also with `/` or `.`), the locale's numeric form
 * (`12/1/2026` in en-US, `1.12.2026` in de), two-digit years as 20xx, and "today" /
 * "yesterday". A year is never read as 0006: it has four digits or two.
 */
export function parseDateInput(text: string, now: number | Date = Date.now()): DateParse | null {
  const t = text.trim().toLowerCase().replace(/\.$/, "");
  if (!t) return null;
  const today = now instanceof Date ? now : new Date(now);
  if (t === "today") return { ok: true, day: localDay(today) };
  if (t === "yesterday") return { ok: true, day: addDays(localDay(today), -1) };
  const fields = t.split(/\s*[-/.,]\s*|\s+/);
  if (fields.length !== 3 || !fields.every((f) => /^\d+$/.test(f))) {
    return { ok: false, error: `Not a date: type it as ${example()}` };
  }
  const order: Part[] = (fields[0] ?? "").length >= 3 ? ["year", "month", "day"] : localeDayOrder();
  const got: Record<Part, string> = { year: "", month: "", day: "" };
  order.forEach((part, i) => (got[part] = fields[i] ?? ""));
  let year: number;
  if (got.year.length === 4) year = Number(got.year);
  else if (got.year.length === 2) year = 2000 + Number(got.year);
  else return { ok: false, error: `The year needs four digits: type ${example()}` };
  const month = Number(got.month);
  const dayOfMonth = Number(got.day);
  if (got.month.length > 2 || month < 1 || month > 12) return { ok: false, error: `There is no month ${got.month}: type ${example()}` };
  if (year < 1900) return { ok: false, error: `The year ${year} is out of range` };
  const day = `${pad(year, 4)}-${pad(month)}-${pad(dayOfMonth)}`;
  if (got.day.length > 2 || !dayDate(day)) return { ok: false, error: `There is no day ${got.day} in ${pad(month)}/${year}` };
  return { ok: true, day };
}

// ---- Presets of a day range ----

export type DatePreset = "today" | "yesterday" | "last7" | "last30";

export const DATE_PRESETS: { id: DatePreset; label: string }[] = [
  { id: "today", label: "Today" },
  { id: "yesterday", label: "Yesterday" },
  { id: "last7", label: "Last 7 days" },
  { id: "last30", label: "Last 30 days" },
];

/** The inclusive days a preset covers, counted back from `now`'s local day. */
export function presetRange(preset: DatePreset, now: number | Date = Date.now()): { from: string; to: string } {
  const today = localDay(now instanceof Date ? now : new Date(now));
  switch (preset) {
    case "today":
      return { from: today, to: today };
    case "yesterday": {
      const y = addDays(today, -1);
      return { from: y, to: y };
    }
    case "last7":
      return { from: addDays(today, -6), to: today };
    case "last30":
      return { from: addDays(today, -29), to: today };
  }
}

/** The preset a range is, if it is one. */
export function presetOf(from: string, to: string, now: number | Date = Date.now()): DatePreset | null {
  return DATE_PRESETS.find((p) => {
    const r = presetRange(p.id, now);
    return r.from === from && r.to === to;
  })?.id ?? null;
}
