// Built-in pages: renders the panels embedded in #orgpulse-data with Apache ECharts (served
// locally from node_modules). Each panel element gets data-rendered="true" once drawn, and
// data-points with the number of values it shows (the browser test reads both).
;(() => {
  const page = JSON.parse(document.getElementById('orgpulse-data').textContent)
  const fmt = (unit, v) => {
    if (v === null || v === undefined || Number.isNaN(v)) return '—'
    if (unit === 'ratio') return `${(v * 100).toFixed(0)}%`
    if (unit === 'count' || unit === 'item_days') return Number.isInteger(v) ? String(v) : v.toFixed(1)
    const suffix = { hours: ' h', days: ' d', hours_per_week: ' h/wk', level: '' }[unit] ?? ''
    return `${v.toFixed(1)}${suffix}`
  }
  const colour = (t, v) => {
    if (!t || v === null || t.direction === 'neutral') return '#3b6fd8'
    const bad = t.direction === 'lower_is_better' ? (x) => v >= x : (x) => v <= x
    if (t.critical !== null && bad(t.critical)) return '#d44a3a'
    if (t.warn !== null && bad(t.warn)) return '#e0a800'
    return '#299c46'
  }
  const day = (s) => s.slice(0, 10)
  for (const dash of page.dashboards) {
    for (const p of dash.panels) {
      const el = document.querySelector(`[data-panel="${CSS.escape(p.key)}"] .body`)
      const host = el.parentElement
      let points = 0
      if (p.data.kind === 'table') {
        const t = document.createElement('table')
        const head = `<tr>${p.data.columns.map((c) => `<th>${c.replace(/_/g, ' ')}</th>`).join('')}</tr>`
        const rows = p.data.rows
          .map(
            (r) =>
              `<tr>${r.map((v) => `<td>${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(2)) : v === null ? '—' : String(v).replace(/</g, '&lt;')}</td>`).join('')}</tr>`,
          )
          .join('')
        t.innerHTML = head + rows
        el.appendChild(t)
        points = p.data.rows.length
      } else if (p.kind === 'stat') {
        const values = p.data.series[0]?.values ?? []
        const last = [...values].reverse().find((v) => v !== null) ?? null
        points = values.filter((v) => v !== null).length
        const big = document.createElement('div')
        big.className = 'big'
        // an empty figure says why: no_data, partial_coverage or withheld (the latest week's reason)
        const why = p.metric ? page.coverage?.withheld?.[p.metric] : undefined
        big.textContent = last === null ? (why ? why.split(':')[0].replace(/_/g, ' ') : 'withheld / no data') : fmt(p.unit, last)
        if (last === null && why) big.title = why
        big.style.color = colour(p.thresholds, last)
        el.appendChild(big)
        const spark = document.createElement('div')
        spark.className = 'spark'
        el.appendChild(spark)
        echarts.init(spark, null, { renderer: 'svg' }).setOption({
          animation: false,
          grid: { left: 0, right: 0, top: 2, bottom: 0 },
          xAxis: { type: 'category', show: false, data: p.data.times.map(day) },
          yAxis: { type: 'value', show: false, scale: true },
          series: [
            {
              type: 'line',
              data: values,
              showSymbol: false,
              connectNulls: true,
              lineStyle: { color: colour(p.thresholds, last) },
              areaStyle: { opacity: 0.15, color: colour(p.thresholds, last) },
            },
          ],
        })
      } else {
        const chart = document.createElement('div')
        chart.className = 'chart'
        el.appendChild(chart)
        points = p.data.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0)
        const series = p.data.series.map((s) => ({
          name: s.name,
          type: 'line',
          data: s.values,
          connectNulls: true,
          symbolSize: 4,
        }))
        if (p.thresholdLine && series[0]) {
          series[0].markLine = {
            symbol: 'none',
            lineStyle: { color: '#d44a3a', type: 'dashed' },
            label: { formatter: p.thresholdLine.label },
            data: [{ yAxis: p.thresholdLine.value }],
          }
        }
        echarts.init(chart, null, { renderer: 'svg' }).setOption({
          animation: false,
          tooltip: { trigger: 'axis' },
          legend: { bottom: 0, type: 'scroll' },
          grid: { left: 48, right: 16, top: 16, bottom: 48 },
          xAxis: { type: 'category', data: p.data.times.map(day) },
          yAxis: { type: 'value', axisLabel: { formatter: (v) => fmt(p.unit, v) } },
          series,
        })
      }
      host.dataset.points = String(points)
      host.dataset.rendered = 'true'
    }
  }
  document.body.dataset.rendered = 'true'
})()
