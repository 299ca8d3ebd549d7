package org.sgdlens.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One Apache ECharts chart as its option object (plain JSON, no JavaScript functions), so the
 * report embeds it as data and the browser draws it. Non-finite values never reach the JSON: points
 * with a NaN or infinite coordinate, or one below {@link #LOG_MIN} on a log axis, are left out.
 */
final class Chart {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A phase of learning as a shaded band [start, end] on the step axis. */
  record Span(String label, double start, double end) {}

  /** A vertical marker on the x axis. */
  record Marker(String label, double x) {}

  private final String key;
  private final ObjectNode option = JSON.createObjectNode();
  private final ArrayNode yAxes;
  private final ArrayNode series;
  private final ObjectNode legendBox;
  private final ArrayNode legend;
  private boolean xLog;
  private final java.util.List<Boolean> yLog = new java.util.ArrayList<>();
  private int points;
  private boolean compact;

  private Chart(String key, String title) {
    this.key = key;
    option
        .putObject("title")
        .put("text", title)
        .put("left", "center")
        .putObject("textStyle")
        .put("fontSize", 14);
    option.putObject("tooltip").put("trigger", "axis");
    legendBox = option.putObject("legend").put("top", 26).put("type", "scroll");
    legend = legendBox.putArray("data");
    // containLabel: the margins are measured from the axis labels, so a long label (1e-9, a
    // four-digit step) is never clipped at the edge.
    option
        .putObject("grid")
        .put("left", 16)
        .put("right", 24)
        .put("top", 70)
        .put("bottom", 40)
        .put("containLabel", true);
    ObjectNode toolbox = option.putObject("toolbox").put("right", 10);
    ObjectNode features = toolbox.putObject("feature");
    // The charts are drawn as SVG, and ECharts' own saveAsImage then saves SVG whatever its type
    // says: this feature is the page script's exporter, which redraws the chart on a canvas.
    features
        .putObject(PNG_FEATURE)
        .put("show", true)
        .put("title", "save PNG")
        .put("type", "png")
        .put("icon", PNG_ICON);
    features.putObject("dataZoom").put("yAxisIndex", "none");
    features.putObject("restore");
    yAxes = option.putArray("yAxis");
    series = option.putArray("series");
  }

  /** Toolbox feature that saves the chart as a PNG (the page script sets its onclick). */
  static final String PNG_FEATURE = "mySavePng";

  /** ECharts' own download icon. */
  private static final String PNG_ICON =
      "path://M4.7,22.9L29.3,45.5L54.7,23.4M4.6,43.6L4.6,58L53.8,58L53.8,43.6M29.2,45.1L29.2,0";

  /**
   * Formatter of a log axis's labels, replaced by a function in the page script that writes
   * scientific notation (1e-9, 3e4) outside [0.01, 1000): ECharts' default prints ".000000001".
   */
  static final String LOG_LABELS = "sgdlens-log-labels";

  /** Top-level option key naming a group of charts whose legends toggle together. */
  static final String LEGEND_GROUP = "sgdlensLegendGroup";

  private static void logLabels(ObjectNode axis) {
    axis.putObject("axisLabel").put("formatter", LOG_LABELS);
  }

  /** A chart over a numeric x axis (steps, F, noise fraction...). */
  static Chart xy(String key, String title, String xName, boolean logX) {
    Chart c = new Chart(key, title);
    c.xLog = logX;
    ObjectNode x =
        c.option.putObject("xAxis").put("type", logX ? "log" : "value").put("name", xName);
    x.put("nameLocation", "middle").put("nameGap", 30).put("scale", true);
    if (logX) {
      logLabels(x);
    }
    return c;
  }

  /** A chart over a category x axis (histogram bins, component numbers). */
  static Chart categories(String key, String title, String xName, List<String> categories) {
    Chart c = new Chart(key, title);
    ObjectNode x = c.option.putObject("xAxis").put("type", "category").put("name", xName);
    x.put("nameLocation", "middle").put("nameGap", 30);
    ArrayNode data = x.putArray("data");
    categories.forEach(data::add);
    return c;
  }

  /** Adds a y axis (the first is on the left, the second on the right); returns its index. */
  int yAxis(String name, boolean log, Double min, Double max) {
    ObjectNode y = yAxes.addObject().put("type", log ? "log" : "value").put("name", name);
    y.put("scale", true).put("position", yAxes.size() == 1 ? "left" : "right");
    y.putObject("nameTextStyle").put("align", yAxes.size() == 1 ? "left" : "right");
    if (yAxes.size() > 2) {
      y.put("offset", 60 * (yAxes.size() - 2));
    }
    if (min != null) {
      y.put("min", min);
    }
    if (max != null) {
      y.put("max", max);
    }
    if (yAxes.size() > 1) {
      y.putObject("splitLine").put("show", false);
    }
    if (log) {
      logLabels(y);
    }
    yLog.add(log);
    return yAxes.size() - 1;
  }

  String key() {
    return key;
  }

  /** Data points drawn, over all series. */
  int points() {
    return points;
  }

  ObjectNode option() {
    return option;
  }

  private boolean keep(double x, double y, int axis) {
    if (!Double.isFinite(x) || !Double.isFinite(y)) {
      return false;
    }
    return !(xLog && x < LOG_MIN) && !(yLog.get(axis) && y < LOG_MIN);
  }

  /**
   * Smallest value drawn on a log axis: ECharts 5.3 computes ticks below about 1e-10 as zero and
   * draws an axis line at -Infinity, so callers rescale tiny quantities (see {@link #decade}).
   */
  static final double LOG_MIN = 1e-9;

  /**
   * The power of ten that brings {@code max} into [1, 10): plot v·10^k, label "in units of 1e-k".
   */
  static int decade(double max) {
    return max > 0 && Double.isFinite(max) ? -(int) Math.floor(Math.log10(max)) : 0;
  }

  private ArrayNode pairs(double[] xs, double[] ys, int axis) {
    ArrayNode data = JSON.createArrayNode();
    for (int i = 0; i < xs.length; i++) {
      if (keep(xs[i], ys[i], axis)) {
        data.addArray().add(xs[i]).add(ys[i]);
        points++;
      }
    }
    return data;
  }

  private ObjectNode addSeries(String name, String type, int axis) {
    ObjectNode s = series.addObject().put("name", name).put("type", type).put("yAxisIndex", axis);
    legend.add(name);
    return s;
  }

  /** A line through (xs[i], ys[i]); NaN marks a missing value. */
  ObjectNode line(String name, int axis, double[] xs, double[] ys) {
    ObjectNode s = addSeries(name, "line", axis).put("showSymbol", xs.length <= 60);
    s.put("symbolSize", 5);
    s.set("data", pairs(xs, ys, axis));
    return s;
  }

  /** A dashed line. */
  ObjectNode dashed(String name, int axis, double[] xs, double[] ys) {
    ObjectNode s = line(name, axis, xs, ys);
    s.putObject("lineStyle").put("type", "dashed");
    return s;
  }

  /** Points without a line. */
  ObjectNode scatter(String name, int axis, double[] xs, double[] ys) {
    ObjectNode s = addSeries(name, "scatter", axis).put("symbolSize", 8);
    s.set("data", pairs(xs, ys, axis));
    return s;
  }

  /** Points without a line, each named (the tooltip shows the name, e.g. the run id). */
  ObjectNode scatter(String name, int axis, double[] xs, double[] ys, List<String> names) {
    ObjectNode s = addSeries(name, "scatter", axis).put("symbolSize", 9);
    ArrayNode data = s.putArray("data");
    for (int i = 0; i < xs.length; i++) {
      if (keep(xs[i], ys[i], axis)) {
        ObjectNode p = data.addObject().put("name", names.get(i));
        p.putArray("value").add(xs[i]).add(ys[i]);
        points++;
      }
    }
    return s;
  }

  /** Draws the chart at half width and lower height, two to a row. */
  Chart compact() {
    compact = true;
    option.with("grid").put("left", 10).put("right", 16);
    // At half width a centred title reaches the toolbox: the toolbox goes down to the legend row.
    option.with("toolbox").put("top", 24);
    return this;
  }

  /** Starts the series {@code name} switched off in the legend (a click shows it). */
  void hidden(String name) {
    legendBox.with("selected").put(name, false);
  }

  /** Joins a group of charts whose legends toggle together (same series names: runs). */
  Chart legendGroup(String group) {
    option.put(LEGEND_GROUP, group);
    return this;
  }

  /**
   * Vertical error bars from {@code lo[i]} to {@code hi[i]} at {@code xs[i]}, one per named point
   * (e.g. a confidence interval per run), as points [x, lo, hi]: ECharts has no error-bar series,
   * so this is a series of type {@value #ERROR_BARS} that the page's script turns into a custom
   * series drawing a whiskered segment per point.
   */
  ObjectNode errorBars(
      String name, int axis, double[] xs, double[] lo, double[] hi, List<String> names) {
    ObjectNode s = addSeries(name, ERROR_BARS, axis).put("color", "#333");
    ArrayNode data = s.putArray("data");
    for (int i = 0; i < xs.length; i++) {
      if (keep(xs[i], lo[i], axis) && keep(xs[i], hi[i], axis) && hi[i] >= lo[i]) {
        ObjectNode p = data.addObject().put("name", names.get(i));
        p.putArray("value").add(xs[i]).add(lo[i]).add(hi[i]);
        points++;
      }
    }
    return s;
  }

  /** Series type of error bars (see {@link #errorBars}); not an ECharts type. */
  static final String ERROR_BARS = "sgdlens-error-bars";

  boolean isCompact() {
    return compact;
  }

  /**
   * A shaded band between {@code lo} and {@code hi}, as points [x, lo, hi]. ECharts has no band
   * series and its stacking trick misplaces points on a value x axis, so the band is a series of
   * type {@value #BAND}: the page's script turns it into a custom series that fills the polygon.
   */
  void band(String name, int axis, double[] xs, double[] lo, double[] hi, String color) {
    ObjectNode s = addSeries(name, BAND, axis).put("color", color);
    ArrayNode data = s.putArray("data");
    for (int i = 0; i < xs.length; i++) {
      if (keep(xs[i], lo[i], axis) && keep(xs[i], hi[i], axis) && hi[i] >= lo[i]) {
        data.addArray().add(xs[i]).add(lo[i]).add(hi[i]);
        points++;
      }
    }
    s.putObject("itemStyle").put("color", color);
  }

  /** Series type of a band (see {@link #band}); not an ECharts type. */
  static final String BAND = "sgdlens-band";

  /** Bars over the category axis; overlapping series share each category slot. */
  ObjectNode bars(String name, int axis, double[] values, String color) {
    ObjectNode s = addSeries(name, "bar", axis).put("barGap", "-100%").put("barCategoryGap", "5%");
    s.putObject("itemStyle").put("color", color).put("opacity", 0.6);
    ArrayNode data = s.putArray("data");
    for (double v : values) {
      if (Double.isFinite(v)) {
        data.add(v);
        points++;
      } else {
        data.addNull();
      }
    }
    return s;
  }

  /**
   * Shades spans (e.g. ground-truth phases) and draws vertical markers (e.g. label-free phase
   * starts, t_sep) on the first series.
   */
  void marks(List<Span> spans, List<Marker> markers) {
    if (series.isEmpty() || (spans.isEmpty() && markers.isEmpty())) {
      return;
    }
    ObjectNode first = (ObjectNode) series.get(0);
    String[] shades = {"#fde2e2", "#e2f0fd", "#e6f6e2", "#f4e6fb", "#fdf3dc"};
    if (!spans.isEmpty()) {
      ObjectNode area = first.putObject("markArea").put("silent", true);
      ArrayNode data = area.putArray("data");
      for (int i = 0; i < spans.size(); i++) {
        Span s = spans.get(i);
        ArrayNode pair = data.addArray();
        ObjectNode from = pair.addObject().put("name", s.label()).put("xAxis", s.start());
        from.putObject("itemStyle").put("color", shades[i % shades.length]).put("opacity", 0.6);
        from.putObject("label").put("position", "insideTop").put("color", "#555");
        pair.addObject().put("xAxis", s.end());
      }
    }
    if (!markers.isEmpty()) {
      ObjectNode line = first.putObject("markLine").put("silent", true).put("symbol", "none");
      line.putObject("lineStyle").put("type", "dashed").put("color", "#444");
      line.putObject("label").put("formatter", "{b}").put("position", "insideEndTop");
      ArrayNode data = line.putArray("data");
      String[] positions = markerLabelPositions(spans, markers);
      for (int i = 0; i < markers.size(); i++) {
        Marker m = markers.get(i);
        ObjectNode item = data.addObject().put("name", m.label()).put("xAxis", m.x());
        item.putObject("label").put("position", positions[i]);
      }
    }
  }

  /**
   * Where each marker's label goes along its vertical line, so that labels do not overprint: the
   * spans' labels sit at the top, so a marker's label starts in the middle; a marker within 3% of
   * the marked x range of an earlier one (t_sep on a label-free phase start, say) moves to the
   * bottom, then the top.
   */
  static String[] markerLabelPositions(List<Span> spans, List<Marker> markers) {
    String[] cycle = {"insideMiddleTop", "insideStartTop", "insideEndTop"};
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Marker m : markers) {
      lo = Math.min(lo, m.x());
      hi = Math.max(hi, m.x());
    }
    for (Span sp : spans) {
      lo = Math.min(lo, sp.start());
      hi = Math.max(hi, sp.end());
    }
    double near = 0.03 * (hi - lo);
    String[] out = new String[markers.size()];
    for (int i = 0; i < markers.size(); i++) {
      int close = 0;
      for (int j = 0; j < i; j++) {
        if (Math.abs(markers.get(j).x() - markers.get(i).x()) <= near) {
          close++;
        }
      }
      out[i] = cycle[close % cycle.length];
    }
    return out;
  }

  /** The option as JSON that is safe inside a {@code <script>} element. */
  String json() {
    try {
      return JSON.writeValueAsString(option).replace("</", "<\\/");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(
          "chart " + key + " is not serialisable: " + e.getMessage(), e);
    }
  }
}
