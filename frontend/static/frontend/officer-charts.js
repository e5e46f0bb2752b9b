/* The portfolio dashboard's charts. The data comes from <script type="application/json">
   elements written by Django's json_script; each chart has its numbers in a table beside it.
   A canvas gets data-drawn="true" once its chart is drawn. */
(function () {
  "use strict";

  var COLOURS = {
    accent: "#1f4e8c",
    green: "#1e6b3a",
    amber: "#8a5a00",
    red: "#a4262c",
    grey: "#4a5361", // the stylesheet's --grey: the status colours are the badges'
  };
  var STATUS_COLOURS = {
    pending: COLOURS.grey,
    draft: COLOURS.amber,
    submitted: COLOURS.accent,
    accepted: COLOURS.green,
  };

  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function draw(canvasId, config) {
    var canvas = document.getElementById(canvasId);
    if (!canvas || typeof Chart === "undefined") {
      return;
    }
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: false, animation: false },
      config.options || {}
    );
    new Chart(canvas, config);
    canvas.dataset.drawn = "true";
  }

  function openFlags() {
    var flags = data("chart-open-flags-data");
    if (!flags) return;
    draw("chart-open-flags", {
      type: "line",
      data: {
        labels: flags.labels,
        datasets: [
          {
            label: flags.label,
            data: flags.values,
            borderColor: COLOURS.red,
            backgroundColor: COLOURS.red,
            tension: 0.2,
            pointRadius: 2,
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function deliverables() {
    var byCluster = data("chart-deliverables-data");
    if (!byCluster) return;
    draw("chart-deliverables", {
      type: "bar",
      data: {
        labels: byCluster.labels,
        datasets: byCluster.datasets.map(function (dataset) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: STATUS_COLOURS[dataset.key] || COLOURS.grey,
          };
        }),
      },
      options: {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  function payments() {
    var money = data("chart-payments-data");
    if (!money || !money.labels.length) return;
    // The amounts come as strings (exact decimals); the picture only needs their size.
    draw("chart-payments", {
      type: "line",
      data: {
        labels: money.labels,
        datasets: [
          {
            label: money.due_label,
            data: money.due.map(Number),
            borderColor: COLOURS.accent,
            backgroundColor: COLOURS.accent,
            stepped: true,
            pointRadius: 0,
          },
          {
            label: money.paid_label,
            data: money.paid.map(Number),
            borderColor: COLOURS.green,
            backgroundColor: COLOURS.green,
            borderDash: [6, 4],
            stepped: true,
            pointRadius: 0,
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
  }

  function instalments() {
    var byStatus = data("chart-instalments-data");
    if (!byStatus || !byStatus.labels.length) return;
    // One colour per status, named by the server (grey, amber, red, green).
    draw("chart-instalments", {
      type: "bar",
      data: {
        labels: byStatus.labels,
        datasets: [
          {
            label: byStatus.label,
            data: byStatus.values,
            backgroundColor: byStatus.colours.map(function (colour) {
              return COLOURS[colour] || COLOURS.grey;
            }),
          },
        ],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  function drawAll() {
    openFlags();
    deliverables();
    payments();
    instalments();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
