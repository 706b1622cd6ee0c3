import { describe, expect, it } from "vitest";
import { human, localIso, localTime, toMs, utcIso } from "./format";

const T = Date.UTC(2026, 11, 7, 14, 7, 45, 123); // 2026-12-07T14:07:45.123Z

describe("time formatter", () => {
  it("writes local time with its offset, in any zone, seconds or milliseconds", () => {
    expect(localTime(T, { timeZone: "America/New_York" })).toBe("2026-12-07 09:07:45 -05:00");
    expect(localTime(T, { timeZone: "Asia/Kolkata" })).toBe("2026-12-07 19:37:45 +05:30");
    expect(localTime(T, { timeZone: "UTC" })).toBe("2026-12-07 14:07:45 +00:00");
    expect(localTime(T, { timeZone: "America/New_York", ms: true })).toBe("2026-12-07 09:07:45.123 -05:00");
    expect(localTime(Date.UTC(2026, 11, 7, 14, 7, 45), { timeZone: "America/New_York", ms: true })).toBe("2026-12-07 09:07:45 -05:00");
    // Summer time moves the offset; the date can change with it.
    expect(localTime(Date.UTC(2026, 6, 1, 2, 30), { timeZone: "America/New_York" })).toBe("2026-06-30 22:30:00 -04:00");
    // Midnight is 00, never 24.
    expect(localTime(Date.UTC(2026, 11, 7, 5, 0), { timeZone: "America/New_York" })).toBe("2026-12-07 00:00:00 -05:00");
  });

  it("takes epoch ms, ISO strings and Dates alike, and says ? for no time", () => {
    const iso = "2026-12-07T14:07:45.123Z";
    expect(localTime(iso, { timeZone: "Asia/Kolkata" })).toBe(localTime(T, { timeZone: "Asia/Kolkata" }));
    expect(localTime(new Date(T), { timeZone: "Asia/Kolkata" })).toBe(localTime(T, { timeZone: "Asia/Kolkata" }));
    expect(toMs("")).toBeNaN();
    expect(localTime("")).toBe("?");
    expect(localTime("not a time")).toBe("?");
  });

  it("uses this machine's zone by default (the tests run in New York's)", () => {
    expect(localTime(T)).toBe("2026-12-07 09:07:45 -05:00");
    expect(localIso(T)).toBe("2026-12-07T09:07:45.123-05:00");
    expect(localIso(T, { timeZone: "Asia/Kolkata" })).toBe("2026-12-07T19:37:45.123+05:30");
  });

  it("gives UTC as ISO 8601, with milliseconds only when there are some", () => {
    expect(utcIso(T)).toBe("2026-12-07T14:07:45.123Z");
    expect(utcIso(Date.UTC(2026, 11, 7, 14, 7, 45))).toBe("2026-12-07T14:07:45Z");
    expect(utcIso("2026-12-07T09:07:45-05:00")).toBe("2026-12-07T14:07:45Z");
    // A restore point to copy keeps them always.
    expect(utcIso(Date.UTC(2026, 11, 7, 14, 7, 45), { ms: true })).toBe("2026-12-07T14:07:45.000Z");
  });
});

describe("sizes", () => {
  it("reads 1024-based with one decimal", () => {
    expect(human(512)).toBe("512 B");
    expect(human(3 * 1048576)).toBe("3.0 MB");
  });
});
