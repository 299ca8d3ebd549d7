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

  /** The heading of one run's part of a section, on a page of several runs. */
  void runHeading(String text) {
    body.append("<h3 class=\"run\">").append(esc(text)).append("</h3>\n");
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
      h3.run { background: #eef2fa; border-left: 4px solid #5470c6; padding: 3px 8px; }
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

  /**
   * Query part of the page's URL that makes the script export every chart as PNG once drawn and
   * record the result on the body ({@code data-png-exports}, the first export's data URL in {@code
   * <textarea id="png-check">}, and the page's height in {@code data-page-height}), for a headless
   * browser to check (bench/report-screenshot.sh).
   */
  static final String PNG_CHECK = "sgdlens-check-png";

  /** The page's script; {@code @NAME@} stands for the constant of the same role in Java. */
  static final String RENDER =
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
        // Log-axis labels in scientific notation outside [0.01, 1000): 1e-9, 2.5e4.
        function logLabel(v) {
          if (v === 0 || !isFinite(v)) { return String(v); }
          var e = Math.floor(Math.log10(Math.abs(v)) + 1e-9);
          if (e >= -2 && e <= 2) { return String(Number(v.toPrecision(3))); }
          var m = Number((v / Math.pow(10, e)).toPrecision(2));
          if (Math.abs(m) >= 10) { m = m / 10; e += 1; }
          return String(m) + 'e' + e;
        }
        function axes(a) { return a === undefined ? [] : (Array.isArray(a) ? a : [a]); }
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
        // Error bars {name, value: [x, lo, hi]}: a vertical segment with caps per point.
        function errorBars(s) {
          return {
            type: 'custom', name: s.name, yAxisIndex: s.yAxisIndex, data: s.data, z: 3,
            encode: { x: 0, y: [1, 2] }, itemStyle: { color: s.color },
            tooltip: { trigger: 'item', formatter: function (p) {
              return p.name + '<br>' + s.name + ': [' + p.value[1] + ', ' + p.value[2] + ']';
            } },
            renderItem: function (params, api) {
              var lo = api.coord([api.value(0), api.value(1)]);
              var hi = api.coord([api.value(0), api.value(2)]);
              var cap = 6;
              var style = { stroke: s.color, lineWidth: 1.5 };
              return { type: 'group', children: [
                { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
                { type: 'line', shape: { x1: lo[0] - cap, y1: lo[1], x2: lo[0] + cap, y2: lo[1] },
                  style: style },
                { type: 'line', shape: { x1: hi[0] - cap, y1: hi[1], x2: hi[0] + cap, y2: hi[1] },
                  style: style } ] };
            }
          };
        }
        // The option in the page's JSON, made drawable: custom series and label formatters.
        function prepare(div) {
          var option = JSON.parse(document.getElementById(div.id + '-option').textContent);
          option.animation = false;
          delete option['@LEGEND_GROUP@'];
          axes(option.xAxis).concat(axes(option.yAxis)).forEach(function (a) {
            if (a.axisLabel && a.axisLabel.formatter === '@LOG_LABELS@') {
              a.axisLabel.formatter = logLabel;
            }
          });
          (option.series || []).forEach(function (s, i) {
            if (s.type === '@BAND@') { option.series[i] = band(s); }
            if (s.type === '@ERROR_BARS@') { option.series[i] = errorBars(s); }
          });
          return option;
        }
        // PNG of what the chart shows now (legend selection, zoom): the SVG chart's option
        // redrawn by the canvas renderer off screen. ECharts' saveAsImage would save SVG.
        function png(entry) {
          var w = entry.div.clientWidth, h = entry.div.clientHeight;
          var holder = document.createElement('div');
          holder.style.cssText = 'position:absolute;left:-100000px;top:0;width:' + w +
              'px;height:' + h + 'px';
          document.body.appendChild(holder);
          var canvas = echarts.init(holder, null, { renderer: 'canvas', width: w, height: h });
          try {
            var option = prepare(entry.div);
            delete option.toolbox; // not in the picture (and its custom feature has no onclick)
            var now = entry.chart.getOption();
            if (now.legend && now.legend[0] && now.legend[0].selected) {
              option.legend.selected = now.legend[0].selected;
            }
            if (now.dataZoom) { option.dataZoom = now.dataZoom; }
            canvas.setOption(option);
            return canvas.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#fff' });
          } finally {
            canvas.dispose();
            holder.remove();
          }
        }
        function download(entry) {
          var a = document.createElement('a');
          a.href = png(entry);
          a.download = entry.div.id.replace(/^chart-/, '') + '.png';
          document.body.appendChild(a);
          a.click();
          a.remove();
        }
        var rendered = 0;
        var all = [];
        var groups = {};
        document.querySelectorAll('div.chart').forEach(function (div) {
          try {
            var raw = JSON.parse(document.getElementById(div.id + '-option').textContent);
            var option = prepare(div);
            var entry = { div: div };
            var feature = option.toolbox && option.toolbox.feature &&
                option.toolbox.feature['@PNG_FEATURE@'];
            if (feature) { feature.onclick = function () { download(entry); }; }
            var chart = echarts.init(div, null, { renderer: 'svg' });
            chart.setOption(option);
            entry.chart = chart;
            all.push(entry);
            var group = raw['@LEGEND_GROUP@'];
            if (group) {
              (groups[group] = groups[group] || []).push(chart);
            }
            rendered++;
            div.setAttribute('data-rendered', 'true');
          } catch (e) {
            fail(div.id + ': ' + e);
          }
        });
        // Charts of one group show the same runs: a legend click toggles the run in all of them.
        Object.keys(groups).forEach(function (g) {
          var charts = groups[g];
          var busy = false;
          charts.forEach(function (chart) {
            chart.on('legendselectchanged', function (e) {
              if (busy) { return; }
              busy = true;
              var type = e.selected[e.name] ? 'legendSelect' : 'legendUnSelect';
              charts.forEach(function (other) {
                if (other !== chart) { other.dispatchAction({ type: type, name: e.name }); }
              });
              busy = false;
            });
          });
        });
        window.addEventListener('resize', function () {
          all.forEach(function (e) { e.chart.resize(); });
        });
        window.sgdlensPng = function (id) {
          return png(all.filter(function (e) { return e.div.id === id; })[0]);
        };
        document.body.setAttribute('data-charts-rendered', String(rendered));
        if (location.search.indexOf('@PNG_CHECK@') >= 0) {
          var good = 0;
          var first = null;
          all.forEach(function (e) {
            try {
              var url = png(e);
              if (url.indexOf('data:image/png;base64,iVBORw0KGgo') === 0) { good++; }
              if (first === null) { first = url; }
            } catch (err) {
              fail(e.div.id + ' PNG export: ' + err);
            }
          });
          var out = document.createElement('textarea');
          out.id = 'png-check';
          out.style.display = 'none';
          out.textContent = first || '';
          document.body.appendChild(out);
          document.body.setAttribute('data-png-exports', String(good));
          document.body.setAttribute('data-page-height',
                                     String(document.documentElement.scrollHeight));
        }
      })();
      """
          .replace("@LOG_LABELS@", Chart.LOG_LABELS)
          .replace("@BAND@", Chart.BAND)
          .replace("@ERROR_BARS@", Chart.ERROR_BARS)
          .replace("@PNG_FEATURE@", Chart.PNG_FEATURE)
          .replace("@LEGEND_GROUP@", Chart.LEGEND_GROUP)
          .replace("@PNG_CHECK@", PNG_CHECK);
}
