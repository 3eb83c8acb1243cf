"""National and international standards as data plus pure functions, one module per standard.

Each module quotes the clauses it implements and keeps its editions with their dates of force
(``version_for(at)``): HJ 633 (AQI), HJ 663 (statistics), GB 3095 (air limits), GB 3838 (surface
water), GB 32100 (unified social credit code), HJ 608 (permit and outlet codes), GB/T 2260 (division
codes), GB/T 8170 (rounding) and the US EPA AQI. See docs/standards.md.
"""
