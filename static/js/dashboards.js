// Leader dashboards: draw every chart from its JSON data block (no inline scripts; CSP-safe).
// Figures are built in Python (dashboards/charts.py); this file only draws them,
// wires the PNG download and follows drill-down links on click.
(function () {
  "use strict";

  // Chinese labels for plotly's modebar and number formats.
  const ZH_CN = {
    moduleType: "locale",
    name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放",
      "Box Select": "框选",
      "Click to enter Colorscale title": "点击输入色阶标题",
      "Click to enter X axis title": "点击输入 X 轴标题",
      "Click to enter Y axis title": "点击输入 Y 轴标题",
      "Compare data on hover": "悬停时比较数据",
      "Double-click on legend to isolate one trace": "双击图例只看该项",
      "Double-click to zoom back out": "双击还原",
      "Download plot": "下载图片",
      "Download plot as a png": "下载图片（PNG）",
      "Download plot as a PNG": "下载图片（PNG）",
      "Lasso Select": "套索选择",
      "Pan": "平移",
      "Produced with Plotly.js": "由 Plotly.js 生成",
      "Reset axes": "重置坐标轴",
      "Reset view": "重置视图",
      "Show closest data on hover": "悬停时显示最近数据",
      "Snapshot succeeded": "截图成功",
      "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候",
      "Toggle Spike Lines": "显示/隐藏辅助线",
      "Zoom": "缩放",
      "Zoom in": "放大",
      "Zoom out": "缩小",
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      date: "%Y-%m-%d",
      decimal: ".",
      thousands: ",",
      grouping: [3],
      currency: ["¥", ""],
    },
  };

  function drillUrl(point) {
    let data = point && point.customdata;
    if (Array.isArray(data)) data = data[0];
    return typeof data === "string" && data.startsWith("/dashboards/") ? data : null;
  }

  function draw(el) {
    const block = document.getElementById(el.dataset.figure);
    if (!block) return;
    const figure = JSON.parse(block.textContent);
    const config = {
      locale: "zh-CN",
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "sendChartToCloud"],
      // plotly.js 4 offers to upload the chart to Plotly Cloud: never, nothing leaves the server.
      showSendToCloud: false,
      showEditInChartStudio: false,
      plotlyServerURL: "",
      // Drawn in the browser from the SVG: works offline, nothing is uploaded.
      toImageButtonOptions: {format: "png", filename: el.dataset.filename || "chart", scale: 2},
    };
    Plotly.newPlot(el, figure.data, figure.layout, config).then(function () {
      el.classList.add("is-drawn");
      el.on("plotly_click", function (event) {
        const url = drillUrl(event && event.points && event.points[0]);
        if (url) window.location.assign(url);
      });
      el.on("plotly_hover", function (event) {
        el.style.cursor = drillUrl(event && event.points && event.points[0]) ? "pointer" : "";
      });
      el.on("plotly_unhover", function () { el.style.cursor = ""; });
    });
  }

  function start() {
    if (!window.Plotly) return;
    Plotly.register(ZH_CN);
    document.querySelectorAll(".js-chart").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
