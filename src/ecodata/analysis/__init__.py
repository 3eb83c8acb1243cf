"""Analytics over frames: trends, profiles, relationships, spatial fields, forecasts, warnings.

Pure modules (import what you use; they touch no store and no network):

- :mod:`.frames` — the long and wide frame layouts, time averaging with data capture
- :mod:`.datasets` — readers of the published file layouts into long frames (I/O edge)
- :mod:`.trend` — Mann–Kendall, Theil–Sen with bootstrap intervals, STL deseasonalisation
- :mod:`.smooth_trend`, :mod:`.changepoint` — smooth trends and change points in the mean
- :mod:`.profiles`, :mod:`.correlation`, :mod:`.polar`, :mod:`.calendar_view` — openair-style
  time variation, correlation matrices, pollution roses and polar plots, calendars
- :mod:`.regions`, :mod:`.spatial` — region grids, IDW and kriging with cross-validation, GeoJSON
- :mod:`.forecast_features`, :mod:`.forecast` — station forecasts 1–96 h and their evaluation
- :mod:`.haze`, :mod:`.warning` — heavy-pollution case base and warning levels
- :mod:`.hourly_aqi` — the hourly AQI columns (HJ 633, through ``standards.hj633_arrays``)
- :mod:`.figures` — PNG/SVG renderings (matplotlib Agg)

Edges to the platform (what the CLI, the API and the web pages call):

- :mod:`.store_frames` — stored observations as frames, limited to the readable datasets
- :mod:`.store_analyses` — trend, profile, rose, grid and haze case base of stored data
- :mod:`.station_forecast` — city forecast models trained and saved in the data directory,
  station forecasts, warnings and the evaluation by time
"""
