// Built-in pages: draws the weekly charts embedded in #orgpulse-data with Apache ECharts (served
// locally from node_modules); the numbers themselves are server-rendered. Each chart element gets
// data-rendered="true" once drawn, data-points with the number of values it shows and data-reorgs
// with the re-org markers on it (the browser test reads them).
;(() => {
  const el = document.getElementById('orgpulse-data')
  if (!el) {
    document.body.dataset.rendered = 'true'
    return
  }
  const data = JSON.parse(el.textContent)
  const fmt = (unit, v) => {
    if (v === null || v === undefined || Number.isNaN(v)) return '—'
    if (unit === 'ratio') return `${(v * 100).toFixed(0)}%`
    if (unit === 'count') return Number.isInteger(v) ? String(v) : v.toFixed(1)
    const suffix = { hours: ' h', days: ' d', hours_per_week: ' h/wk', level: '' }[unit] ?? ''
    return `${Number(v).toFixed(1)}${suffix}`
  }
  // a re-org on a day inside a week is marked on that week
  const weekOf = (day) => {
    let hit = null
    for (const w of data.weeks) if (w <= day) hit = w
    return hit
  }
  const reorgs = data.reorgs.map((d) => ({ day: d, week: weekOf(d) })).filter((r) => r.week !== null)
  for (const c of data.charts) {
    const host = document.querySelector(`[data-chart="${CSS.escape(c.key)}"]`)
    if (!host) continue
    const box = host.querySelector('.chart')
    const series = c.metrics.map((m) => ({
      name: m.title,
      type: 'line',
      data: m.values,
      // a week without a value is a gap, never a zero
      connectNulls: false,
      symbolSize: 4,
    }))
    if (series[0] && reorgs.length) {
      series[0].markLine = {
        symbol: 'none',
        lineStyle: { color: '#8a63d2', type: 'dashed' },
        label: { formatter: (p) => `re-org ${p.data.day}`, position: 'insideEndTop', fontSize: 10 },
        data: reorgs.map((r) => ({ xAxis: r.week, day: r.day })),
      }
    }
    echarts.init(box, null, { renderer: 'svg' }).setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0, type: 'scroll' },
      grid: { left: 52, right: 16, top: 16, bottom: 48 },
      xAxis: { type: 'category', data: data.weeks },
      yAxis: { type: 'value', axisLabel: { formatter: (v) => fmt(c.unit, v) } },
      series,
    })
    host.dataset.points = String(
      c.metrics.reduce((n, m) => n + m.values.filter((v) => v !== null && v !== undefined).length, 0),
    )
    host.dataset.reorgs = String(reorgs.length)
    host.dataset.rendered = 'true'
  }
  document.body.dataset.rendered = 'true'
})()
