package org.sgdlens.lake;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The rule for run ids and run names, checked before anything is written: a run id becomes a folder
 * name ({@code <table>/run_id=<id>/}) on every file system the lake supports, and a value in every
 * reader's filters, so it is kept to characters that need no quoting anywhere.
 */
public final class RunIds {
  /** Longest run id: with {@code run_id=} and a file name it stays far below 255-byte names. */
  public static final int MAX_LENGTH = 128;

  /** The rule, as every error message states it. */
  public static final String RULE =
      "1 to "
          + MAX_LENGTH
          + " characters from A-Z a-z 0-9 . _ -, starting with a letter or a digit, with no '..'";

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private RunIds() {}

  /** True when {@code id} follows {@link #RULE}. */
  public static boolean isValid(String id) {
    return id != null
        && !id.isEmpty()
        && id.length() <= MAX_LENGTH
        && VALID.matcher(id).matches()
        && !id.contains("..");
  }

  /**
   * Returns {@code id} when it follows the rule.
   *
   * @param what how the user gave the value, e.g. {@code run_id} or {@code --run}
   * @throws IllegalArgumentException naming the value, the rule and a valid alternative
   */
  public static String check(String what, String id) {
    return check(what, id, MAX_LENGTH);
  }

  /** The same with a shorter limit (a name that gets a suffix). */
  public static String check(String what, String id, int maxLength) {
    if (isValid(id) && id.length() <= maxLength) {
      return id;
    }
    String shown = id == null ? "null" : "'" + printable(id) + "'";
    String why =
        id == null || id.isEmpty()
            ? "it is empty"
            : id.length() > maxLength
                ? "it has " + id.length() + " characters, more than " + maxLength
                : "it breaks the rule";
    String rule = RULE.replace(Integer.toString(MAX_LENGTH), Integer.toString(maxLength));
    return fail(
        what
            + " "
            + shown
            + " is not a valid run id: "
            + why
            + ". Use "
            + rule
            + suggestion(id, maxLength));
  }

  private static String fail(String message) {
    throw new IllegalArgumentException(message);
  }

  private static String suggestion(String id, int maxLength) {
    String s = sanitize(id, maxLength);
    return s.isEmpty() ? "" : ", e.g. '" + s + "'";
  }

  /** A valid id close to {@code raw} (empty when nothing usable is left). */
  public static String sanitize(String raw, int maxLength) {
    if (raw == null) {
      return "";
    }
    String s = raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
    s = s.replaceAll("\\.{2,}", ".").replaceAll("^[^a-z0-9]+", "").replaceAll("-{2,}", "-");
    if (s.length() > maxLength) {
      s = s.substring(0, maxLength);
    }
    s = s.replaceAll("[^a-z0-9]+$", "");
    return isValid(s) ? s : "";
  }

  /** The id with control characters made visible, so an error never prints a raw newline. */
  private static String printable(String id) {
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (int i = 0; i < id.length() && shown < 160; i++, shown++) {
      char c = id.charAt(i);
      out.append(Character.isISOControl(c) ? String.format(Locale.ROOT, "\\u%04x", (int) c) : c);
    }
    return id.length() > 160 ? out + "..." : out.toString();
  }
}
