import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  calendarDaysBetween,
  dayEnd,
  dayStart,
  formatClock,
  formatDate,
  formatDateTime,
  formatDayInput,
  formatRelative,
  localDay,
  localeDayPattern,
  parseDateInput,
  presetOf,
  presetRange,
  setDateLocale,
} from "./dates";

// Local times built from their parts, so the tests hold in every time zone.
const at = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => new Date(y, m - 1, d, h, min, s);
const HOUR = 3_600_000;

beforeEach(() => setDateLocale("en-US"));
afterEach(() => setDateLocale(undefined));

describe("relative dates", () => {
  const now = at(2026, 12, 2, 10, 0); // a Wednesday, 10:00

  it("say just now, minutes and hours within the same day", () => {
    expect(formatRelative(at(2026, 12, 2, 9, 59, 30), now)).toBe("just now");
    expect(formatRelative(at(2026, 12, 2, 9, 55), now)).toBe("5 min ago");
    expect(formatRelative(at(2026, 12, 2, 9, 0, 1), now)).toBe("59 min ago");
    expect(formatRelative(at(2026, 12, 2, 7, 0), now)).toBe("3 h ago");
    expect(formatRelative(at(2026, 12, 2, 0, 5), now)).toBe("9 h ago");
  });

  it("say yesterday with the time for the previous calendar day, never hours", () => {
    const morning = at(2026, 12, 2, 8, 0);
    // 14 h before 08:00 is yesterday 18:00: not "14 h ago".
    expect(formatRelative(new Date(morning.getTime() - 14 * HOUR), morning)).toBe("yesterday 06:00 PM");
    expect(formatRelative(at(2026, 12, 1, 0, 1), now)).toBe("yesterday 12:01 AM");
  });

  it("cross midnight by the calendar: minutes stay minutes, hours become yesterday", () => {
    const justAfterMidnight = at(2026, 12, 2, 0, 10);
    expect(formatRelative(at(2026, 12, 1, 23, 50), justAfterMidnight)).toBe("20 min ago");
    expect(formatRelative(at(2026, 12, 1, 22, 30), justAfterMidnight)).toBe("yesterday 10:30 PM");
    const justBeforeMidnight = at(2026, 12, 1, 23, 59);
    expect(formatRelative(at(2026, 12, 1, 0, 30), justBeforeMidnight)).toBe("23 h ago");
  });

  it("give the weekday for 39 h ago, not yesterday", () => {
    // 39 h before Wednesday 10:00 is Monday 19:00.
    expect(formatRelative(new Date(now.getTime() - 39 * HOUR), now)).toBe("Mon 07:00 PM");
    expect(formatRelative(at(2026, 11, 26, 9, 0), now)).toBe("Thu 09:00 AM");
  });

  it("give the full date from 7 days on and for the future", () => {
    expect(formatRelative(at(2026, 11, 25, 9, 0), now)).toBe("Nov 25, 2026, 09:00 AM");
    expect(formatRelative(at(2026, 12, 3, 9, 0), now)).toBe("Dec 3, 2026, 09:00 AM");
    expect(formatRelative(new Date(now.getTime() + 20_000), now)).toBe("just now");
  });

  it("count calendar days, not 24 h spans", () => {
    expect(calendarDaysBetween(at(2026, 12, 1, 23, 59), at(2026, 12, 2, 0, 1))).toBe(1);
    expect(calendarDaysBetween(at(2026, 12, 2, 0, 1), at(2026, 12, 2, 23, 59))).toBe(0);
    expect(calendarDaysBetween(at(2026, 3, 1), at(2026, 4, 1))).toBe(31);
  });
});

describe("one date format", () => {
  it("formats dates, date-times and clocks for the locale", () => {
    const d = at(2026, 12, 1, 14, 5, 9);
    expect(formatDate(d)).toBe("Dec 1, 2026");
    expect(formatDateTime(d)).toBe("Dec 1, 2026, 02:05 PM");
    expect(formatDateTime(d.toISOString(), { seconds: true })).toBe("Dec 1, 2026, 02:05:09 PM");
    expect(formatClock(d.getTime() + 120)).toBe("02:05:09.120 PM");
    setDateLocale("en-GB");
    expect(formatDateTime(d)).toBe("1 Dec 2026, 14:05");
    setDateLocale("de-DE");
    expect(formatDayInput("2026-12-01")).toBe("01.12.2026");
  });

  it("shows a dash for nothing and the text itself for an unreadable date", () => {
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime("not a date")).toBe("not a date");
    expect(formatRelative(undefined)).toBe("—");
  });
});

describe("typed dates", () => {
  const now = at(2026, 12, 2, 10, 0);
  const day = (text: string) => parseDateInput(text, now);

  it("read ISO days with their four-digit year", () => {
    expect(day("2026-12-01")).toEqual({ ok: true, day: "2026-12-01" });
    expect(day(" 2026/12/1 ")).toEqual({ ok: true, day: "2026-12-01" });
  });

  it("read the locale's short form, never as year 0006", () => {
    expect(day("12/01/2026")).toEqual({ ok: true, day: "2026-12-01" });
    expect(day("12/1/26")).toEqual({ ok: true, day: "2026-12-01" });
    setDateLocale("de-DE");
    expect(day("1.12.2026")).toEqual({ ok: true, day: "2026-12-01" });
    expect(day("01.12.26")).toEqual({ ok: true, day: "2026-12-01" });
    setDateLocale("en-GB");
    expect(day("01/12/2026")).toEqual({ ok: true, day: "2026-12-01" });
    expect(localeDayPattern()).toBe("DD/MM/YYYY");
  });

  it("round-trip what the field shows", () => {
    for (const loc of ["en-US", "en-GB", "de-DE", "fr-FR", "ja-JP"]) {
      setDateLocale(loc);
      expect(day(formatDayInput("2026-12-01")), loc).toEqual({ ok: true, day: "2026-12-01" });
    }
  });

  it("read today and yesterday", () => {
    expect(day("Today")).toEqual({ ok: true, day: "2026-12-02" });
    expect(day("yesterday")).toEqual({ ok: true, day: "2026-12-01" });
  });

  it("give a clear error for what is not a day", () => {
    expect(day("")).toBeNull();
    const err = (text: string) => {
      const r = day(text);
      expect(r?.ok, text).toBe(false);
      return r && !r.ok ? r.error : "";
    };
    expect(err("12/1/6")).toMatch(/year needs four digits/);
    expect(err("0006-12-01")).toMatch(/out of range/);
    expect(err("2026-13-01")).toMatch(/no month 13/);
    expect(err("2026-02-30")).toMatch(/no day 30/);
    expect(err("next week")).toMatch(/Not a date: type it as 2026-12-01 or 12\/01\/2026/);
  });

  it("turn days into the instants the query compares", () => {
    const start = new Date(dayStart("2026-12-01") ?? "");
    expect(localDay(start)).toBe("2026-12-01");
    expect(start.getHours()).toBe(0);
    const end = new Date(dayEnd("2026-12-31") ?? "");
    expect(localDay(end)).toBe("2027-01-01");
    expect(dayStart("2026-02-30")).toBeUndefined();
  });
});

describe("presets", () => {
  const now = at(2026, 3, 1, 9, 0);

  it("cover whole local days back from today", () => {
    expect(presetRange("today", now)).toEqual({ from: "2026-03-01", to: "2026-03-01" });
    expect(presetRange("yesterday", now)).toEqual({ from: "2026-02-28", to: "2026-02-28" });
    expect(presetRange("last7", now)).toEqual({ from: "2026-02-23", to: "2026-03-01" });
    expect(presetRange("last30", now)).toEqual({ from: "2026-01-31", to: "2026-03-01" });
  });

  it("are recognised from a range", () => {
    expect(presetOf("2026-02-23", "2026-03-01", now)).toBe("last7");
    expect(presetOf("2026-02-24", "2026-03-01", now)).toBeNull();
    expect(presetOf("", "", now)).toBeNull();
  });
});
