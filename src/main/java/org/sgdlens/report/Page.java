package org.sgdlens.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A self-contained HTML page: sections of tables and charts, the ECharts library inlined from its
 * webjar, and each chart's option as embedded JSON that a small script hands to ECharts. The page
 * needs no network; a script error or a chart that fails to draw is shown at the top of the page
 * and counted in {@code body[data-chart-errors]}.
 */
final class Page {
  /** Classpath location of the ECharts bundle (webjar org.webjars.npm:echarts). */
  static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";

  /** A section that was rendered (id) or omitted (id and the reason). */
  record Section(String id, String title, boolean omitted, String note) {}

  private final String title;
  private final StringBuilder body = new StringBuilder();
  private final List<Section> sections = new ArrayList<>();
  private final List<Chart> charts = new ArrayList<>();
  private String subtitle = "";

  Page(String title) {
    this.title = title;
  }

  void subtitle(String text) {
    subtitle = text;
  }

  /** Starts a section; close it with {@link #end()}. */
  void begin(String id, String heading) {
    sections.add(new Section(id, heading, false, null));
    body.append("<section class=\"report-section\" id=\"")
        .append(esc(id))
        .append("\">\n<h2>")
        .append(esc(heading))
        .append("</h2>\n");
  }

  void end() {
    body.append("</section>\n");
  }

  /** A section left out with its one-line reason. */
  void omit(String id, String heading, String reason) {
    sections.add(new Section(id, heading, true, reason));
    body.append("<p class=\"omitted\" data-section=\"")
        .append(esc(id))
        .append("\"><b>")
        .append(esc(heading))
        .append(":</b> omitted, ")
        .append(esc(reason))
        .append("</p>\n");
  }

  void paragraph(String text) {
    body.append("<p>").append(esc(text)).append("</p>\n");
  }

  void note(String text) {
    body.append("<p class=\"note\">").append(esc(text)).append("</p>\n");
  }

  void heading(String text) {
    body.append("<h3>").append(esc(text)).append("</h3>\n");
  }

  /** A table; null cells print as an em dash. */
  void table(String cssClass, List<String> header, List<List<Object>> rows) {
    body.append("<table class=\"").append(esc(cssClass)).append("\">\n<thead><tr>");
    for (String h : header) {
      body.append("<th>").append(esc(h)).append("</th>");
    }
    body.append("</tr></thead>\n<tbody>\n");
    for (List<Object> row : rows) {
      body.append("<tr>");
      for (Object cell : row) {
        body.append("<td>").append(esc(Format.cell(cell))).append("</td>");
      }
      body.append("</tr>\n");
    }
    body.append("</tbody></table>\n");
  }

  /** Key/value rows as a two-column table. */
  void facts(String cssClass, List<List<Object>> rows) {
    table(cssClass, List.of("quantity", "value"), rows);
  }

  void chart(Chart chart) {
    charts.add(chart);
    body.append("<div class=\"chart")
        .append(chart.isCompact() ? " compact" : "")
        .append("\" id=\"")
        .append(esc(chart.key()))
        .append("\"></div>\n");
  }

  List<Section> sections() {
    return sections;
  }

  List<Chart> charts() {
    return charts;
  }

  String html() {
    StringBuilder out = new StringBuilder(1_200_000);
    out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"generator\" content=\"sgdlens jobs/report\">\n<title>")
        .append(esc(title))
        .append("</title>\n<style>\n")
        .append(CSS)
        .append("</style>\n</head>\n")
        .append("<body data-charts=\"")
        .append(charts.size())
        .append("\">\n<h1>")
        .append(esc(title))
        .append("</h1>\n<p class=\"meta\">")
        .append(esc(subtitle))
        .append("</p>\n")
        .append("<div id=\"report-errors\"></div>\n<nav><b>Contents:</b> ");
    for (Section s : sections) {
      if (!s.omitted()) {
        out.append("<a href=\"#")
            .append(esc(s.id()))
            .append("\">")
            .append(esc(s.title()))
            .append("</a> ");
      }
    }
    out.append("</nav>\n").append(body);
    out.append("<script>\n").append(echarts()).append("\n</script>\n");
    for (Chart c : charts) {
      out.append("<script type=\"application/json\" id=\"")
          .append(esc(c.key()))
          .append("-option\">")
          .append(c.json())
          .append("</script>\n");
    }
    out.append("<script>\n").append(RENDER).append("</script>\n</body>\n</html>\n");
    return out.toString();
  }

  static String echarts() {
    try (InputStream in = Page.class.getClassLoader().getResourceAsStream(ECHARTS)) {
      if (in == null) {
        throw new IllegalStateException(
            "ECharts is not on the classpath ("
                + ECHARTS
                + "); the report needs the webjar"
                + " org.webjars.npm:echarts:5.3.1 (pom.xml), rebuild with mvn package");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String esc(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static final String CSS =
      """
      body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto;
             max-width: 1200px; color: #222; }
      h1 { font-size: 22px; margin-bottom: 4px; }
      h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 28px; }
      h3 { font-size: 15px; margin-bottom: 4px; }
      .meta, .note { color: #666; font-size: 13px; }
      .omitted { color: #8a6d3b; background: #fcf8e3; padding: 4px 8px; font-size: 13px; }
      nav a { margin-right: 10px; font-size: 13px; }
      table { border-collapse: collapse; font-size: 13px; margin: 6px 16px 10px 0;
              display: inline-table; vertical-align: top; }
      th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
      th { background: #f3f3f3; }
      td { font-variant-numeric: tabular-nums; }
      .chart { width: 100%; height: 380px; margin: 8px 0 18px 0; }
      .chart.compact { width: 49%; height: 300px; display: inline-block; }
      #report-errors { display: none; color: #a94442; background: #f2dede; padding: 8px;
                       white-space: pre-wrap; }
      """;

  private static final String RENDER =
      """
      (function () {
        var errors = [];
        function fail(message) {
          errors.push(message);
          var box = document.getElementById('report-errors');
          box.textContent = 'Chart errors:\\n' + errors.join('\\n');
          box.style.display = 'block';
          document.body.setAttribute('data-chart-errors', String(errors.length));
        }
        window.addEventListener('error', function (e) { fail(String(e.message)); });
        document.body.setAttribute('data-chart-errors', '0');
        if (typeof echarts === 'undefined') { fail('ECharts did not load'); return; }
        // A band series [x, lo, hi] becomes one filled polygon (custom series, drawn once).
        function band(s) {
          var pts = s.data;
          return {
            type: 'custom', name: s.name, yAxisIndex: s.yAxisIndex, data: pts, silent: true,
            z: 1, clip: true, encode: { x: 0, y: [1, 2] }, itemStyle: { color: s.color },
            tooltip: { show: false },
            renderItem: function (params, api) {
              if (params.dataIndex !== 0) { return null; }
              var upper = [], lower = [];
              pts.forEach(function (p) {
                upper.push(api.coord([p[0], p[2]]));
                lower.push(api.coord([p[0], p[1]]));
              });
              return { type: 'polygon', shape: { points: upper.concat(lower.reverse()) },
                       style: { fill: s.color, opacity: 0.3, stroke: 'none' } };
            }
          };
        }
        var rendered = 0;
        var all = [];
        document.querySelectorAll('div.chart').forEach(function (div) {
          try {
            var option = JSON.parse(document.getElementById(div.id + '-option').textContent);
            option.animation = false;
            (option.series || []).forEach(function (s, i) {
              if (s.type === 'sgdlens-band') { option.series[i] = band(s); }
            });
            var chart = echarts.init(div, null, { renderer: 'svg' });
            chart.setOption(option);
            all.push(chart);
            rendered++;
            div.setAttribute('data-rendered', 'true');
          } catch (e) {
            fail(div.id + ': ' + e);
          }
        });
        window.addEventListener('resize', function () {
          all.forEach(function (c) { c.resize(); });
        });
        document.body.setAttribute('data-charts-rendered', String(rendered));
      })();
      """;
}
