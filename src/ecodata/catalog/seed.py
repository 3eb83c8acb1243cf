"""The catalog as shipped: departments and datasets, as data.

Every dataset carries the core metadata of the government information-resource catalog
(政务信息资源目录编制指南（试行），发改高技〔2017〕1272号): name, resource code (分类码/顺序码),
provider department, abstract, format, sharing type and condition, open type, update cycle, plus
a *selector* that says which series belong to it. Datasets are tried in ``position`` order and a
series belongs to the first whose selector it matches; the last one matches everything, so every
series belongs to exactly one dataset and nothing unclassified is ever public.

Resource codes: class 2 (主题信息资源, theme 生态环保), then the installation's own 项/目 numbers,
``/`` and a six-digit sequence number.
"""

from __future__ import annotations

import uuid
from typing import Any

from ecodata.ingest.beijing_multisite import ATTRIBUTION, STATIONS

DEPARTMENTS: list[dict[str, str]] = [
    {
        "code": "cnemc",
        "name_zh": "中国环境监测总站",
        "name_en": "China National Environmental Monitoring Centre",
        "description": "Runs the national ambient-air and surface-water monitoring networks.",
    },
    {
        "code": "monitoring",
        "name_zh": "生态环境监测处",
        "name_en": "Environmental Monitoring Division",
        "description": "Provincial monitoring networks and the evaluation of their data.",
    },
    {
        "code": "enforcement",
        "name_zh": "生态环境保护综合行政执法总队",
        "name_en": "Environmental Law Enforcement Corps",
        "description": "Supervision of pollution sources, online monitoring of discharges.",
    },
    {
        "code": "meteorology",
        "name_zh": "气象局",
        "name_en": "Meteorological Bureau",
        "description": "Meteorological observations shared with the environment department.",
    },
    {
        "code": "data-centre",
        "name_zh": "生态环境信息中心",
        "name_en": "Environmental Information Centre",
        "description": "Runs the platform; steward of data without another owner.",
    },
    {
        "code": "uci",
        "name_zh": "加州大学欧文分校机器学习数据库",
        "name_en": "UCI Machine Learning Repository",
        "description": "External publisher of the Beijing Multi-Site Air-Quality data.",
    },
]

_CC_BY = "CC-BY-4.0"
_OPEN_CONDITION = "无条件开放，注明数据来源。Open: cite the source."
_SOURCE_CONDITION = (
    "仅用于环境管理、执法监督或经批准的科研；须提交用途说明，经数据管理员审批后在有效期内使用。"
    "For environmental management, enforcement or approved research only; apply with a purpose, "
    "access lasts until the approved expiry."
)


def _dataset(
    position: int, name: str, code: str, title_zh: str, title_en: str, **rest: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "position": position,
        "name": name,
        "resource_code": code,
        "title_zh": title_zh,
        "title_en": title_en,
        "description_zh": "",
        "description_en": "",
        "sharing_condition": "",
        "formats": ["CSV", "JSON", "Parquet"],
        "responsibility": "",
        "licence": "",
        "attribution": "",
        "topics": [],
        "tags": [],
        "source": "series",
        "selector": {},
    }
    return base | rest


DATASETS: list[dict[str, Any]] = [
    _dataset(
        10,
        "air-quality-published",
        "21201/000001",
        "全国城市空气质量实时发布数据",
        "National real-time air-quality publication",
        description_zh="国家空气质量监测网各站点逐小时发布的空气质量指数（AQI，HJ 633-2012）"
        "及各污染物"
        "24小时滑动平均、臭氧8小时滑动平均等发布值。",
        description_en="Hourly published air-quality index (AQI, HJ 633-2012) of every national "
        "station with the published 24-hour moving means and ozone 8-hour means.",
        department_code="cnemc",
        classification="public",
        sharing_type="unconditional",
        open_type="open",
        sharing_condition=_OPEN_CONDITION,
        update_cycle="hourly",
        responsibility="中国环境监测总站负责采集、审核与发布。"
        "Collected, checked and published by CNEMC.",
        topics=["air"],
        tags=["AQI", "空气质量指数", "HJ 633", "published", "发布值"],
        selector={"domains": ["air"], "published": True},
    ),
    _dataset(
        20,
        "beijing-multisite",
        "21201/000002",
        "北京多站点空气质量数据（2013—2017）",
        "Beijing Multi-Site Air-Quality Data (2013-2017)",
        description_zh="北京12个国控站点2013年3月至2017年2月逐小时六项污染物浓度及气象要素"
        "（Zhang 等，2017）。",
        description_en="Hourly concentrations of six pollutants and meteorology at 12 national "
        "stations in Beijing, March 2013 to February 2017 (Zhang et al. 2017).",
        department_code="uci",
        classification="public",
        sharing_type="unconditional",
        open_type="open",
        sharing_condition=_OPEN_CONDITION,
        update_cycle="static",
        responsibility="原始数据由中国环境监测总站采集，UCI 机器学习数据库发布。",
        licence=_CC_BY,
        attribution=ATTRIBUTION,
        topics=["air", "meteorology"],
        tags=["PM2.5", "Beijing", "北京", "UCI", "meteorology", "气象"],
        selector={"site_codes": sorted(code for code, *_ in STATIONS.values())},
    ),
    _dataset(
        30,
        "air-quality-hourly",
        "21201/000003",
        "环境空气质量自动监测小时数据（按站点）",
        "Ambient air quality, hourly by station",
        description_zh="环境空气质量自动监测站逐小时监测的 PM2.5、PM10、SO2、NO2、O3、CO 浓度"
        "（GB 3095-2012、HJ 663-2013）。",
        description_en="Hourly PM2.5, PM10, SO2, NO2, O3 and CO concentrations measured by the "
        "automatic ambient-air stations (GB 3095-2012, HJ 663-2013).",
        department_code="cnemc",
        classification="public",
        sharing_type="unconditional",
        open_type="open",
        sharing_condition=_OPEN_CONDITION,
        update_cycle="hourly",
        responsibility="各站点运维单位采集，监测总站审核。Stations collect, CNEMC checks.",
        topics=["air"],
        tags=["PM2.5", "PM10", "SO2", "NO2", "O3", "CO", "空气质量", "air quality"],
        selector={"domains": ["air"], "site_kinds": ["air"]},
    ),
    _dataset(
        40,
        "monitoring-stations",
        "21201/000004",
        "生态环境监测站点名录",
        "Register of monitoring stations",
        description_zh="环境空气与地表水监测站点的编码、名称、所属城市、经纬度与状态。",
        description_en="Codes, names, cities, coordinates and status of the ambient-air and "
        "surface-water monitoring stations.",
        department_code="cnemc",
        classification="public",
        sharing_type="unconditional",
        open_type="open",
        sharing_condition=_OPEN_CONDITION,
        update_cycle="yearly",
        responsibility="监测总站维护站点名录。CNEMC keeps the register.",
        topics=["air", "water", "reference"],
        tags=["stations", "站点", "register", "名录"],
        source="sites",
        selector={"site_kinds": ["air", "water"]},
    ),
    _dataset(
        50,
        "meteorology",
        "21203/000001",
        "气象观测数据",
        "Meteorological observations",
        description_zh="与空气质量站点同址或邻近的气温、气压、露点、湿度、降水、风速、风向观测。",
        description_en="Temperature, pressure, dew point, humidity, precipitation and wind at or "
        "near the air-quality stations.",
        department_code="meteorology",
        classification="shared",
        sharing_type="unconditional",
        open_type="closed",
        update_cycle="hourly",
        sharing_condition="政务部门间无条件共享，不向社会开放。"
        "Shared between departments, not open.",
        responsibility="气象局采集并共享。Collected and shared by the Meteorological Bureau.",
        topics=["meteorology"],
        tags=["meteorology", "气象", "wind", "风"],
        selector={"domains": ["meteorology"]},
    ),
    _dataset(
        60,
        "water-quality-class",
        "21202/000001",
        "地表水水质类别（发布值）",
        "Surface-water quality class (published)",
        description_zh="地表水自动监测站按 GB 3838-2002 评价并发布的水质类别（I—劣V类）。",
        description_en="Water-quality class (I to worse than V) published for the automatic "
        "surface-water stations under GB 3838-2002.",
        department_code="monitoring",
        classification="public",
        sharing_type="unconditional",
        open_type="open",
        sharing_condition=_OPEN_CONDITION,
        update_cycle="realtime",
        responsibility="监测处评价并发布。Evaluated and published by the monitoring division.",
        topics=["water"],
        tags=["GB 3838", "水质类别", "water quality", "published", "发布值"],
        selector={"domains": ["water"], "published": True},
    ),
    _dataset(
        70,
        "water-quality-auto",
        "21202/000002",
        "地表水水质自动监测数据",
        "Surface water quality, automatic stations",
        description_zh="地表水水质自动监测站的水温、pH、溶解氧、高锰酸盐指数、氨氮、总磷、总氮、浊度、"
        "电导率监测值。",
        description_en="Water temperature, pH, dissolved oxygen, permanganate index, ammonia "
        "nitrogen, total phosphorus and nitrogen, turbidity and conductivity at automatic "
        "stations.",
        department_code="monitoring",
        classification="public",
        sharing_type="unconditional",
        open_type="open",
        sharing_condition=_OPEN_CONDITION,
        update_cycle="realtime",
        responsibility="水站运维单位采集，监测处审核。Stations collect, the division checks.",
        topics=["water"],
        tags=["water quality", "水质", "ammonia", "氨氮", "dissolved oxygen"],
        selector={"domains": ["water"]},
    ),
    _dataset(
        80,
        "source-air",
        "21204/000001",
        "重点排污单位废气自动监控数据（HJ 212）",
        "Stack-gas online monitoring of key dischargers",
        description_zh="重点排污单位废气排放口经 HJ 212-2017 上传的污染物浓度、折算浓度与排放量。",
        description_en="Pollutant concentrations, corrected concentrations and loads sent by the "
        "stack outlets of key dischargers over HJ 212-2017.",
        department_code="enforcement",
        classification="shared",
        sharing_type="conditional",
        open_type="closed",
        sharing_condition=_SOURCE_CONDITION,
        update_cycle="realtime",
        responsibility="排污单位自动监控设备上传，执法总队负责监督。",
        topics=["pollution-sources", "air"],
        tags=["HJ 212", "废气", "emissions", "排放"],
        selector={"domains": ["source-air"]},
    ),
    _dataset(
        90,
        "source-water",
        "21204/000002",
        "重点排污单位废水自动监控数据（HJ 212）",
        "Wastewater online monitoring of key dischargers",
        description_zh="重点排污单位废水排放口经 HJ 212-2017 上传的污染物浓度与排放量。",
        description_en="Pollutant concentrations and loads sent by the wastewater outlets of key "
        "dischargers over HJ 212-2017.",
        department_code="enforcement",
        classification="shared",
        sharing_type="conditional",
        open_type="closed",
        sharing_condition=_SOURCE_CONDITION,
        update_cycle="realtime",
        responsibility="排污单位自动监控设备上传，执法总队负责监督。",
        topics=["pollution-sources", "water"],
        tags=["HJ 212", "废水", "discharge", "排放"],
        selector={"domains": ["source-water"]},
    ),
    _dataset(
        100,
        "source-other",
        "21204/000003",
        "污染源工况及其他监控数据（HJ 212）",
        "Process and other source monitoring (HJ 212)",
        description_zh="污染治理设施工况、用电、流量等 HJ 212-2017 监控数据。",
        description_en="Treatment-plant state, power, flow and other HJ 212-2017 monitoring data.",
        department_code="enforcement",
        classification="restricted",
        sharing_type="none",
        open_type="closed",
        update_cycle="realtime",
        sharing_condition="不予共享：仅数据所有部门及数据管理员可用。Not shared.",
        responsibility="执法总队负责。Held by the enforcement corps.",
        topics=["pollution-sources"],
        tags=["HJ 212", "工况", "process"],
        selector={"domains": ["source-other"]},
    ),
    _dataset(
        1000,
        "other-monitoring",
        "21299/000001",
        "其他监测数据（待编目）",
        "Other monitoring data (not yet catalogued)",
        description_zh="尚未编入其他目录的监测数据；编目前不予共享。",
        description_en="Monitoring data not yet catalogued elsewhere; not shared until catalogued.",
        department_code="data-centre",
        classification="restricted",
        sharing_type="none",
        open_type="closed",
        update_cycle="irregular",
        sharing_condition="编目前不予共享。Not shared until catalogued.",
        responsibility="信息中心负责编目。The information centre catalogues it.",
        topics=["reference"],
        tags=["uncatalogued", "待编目"],
        selector={},
    ),
]

#: Topics (CKAN groups, DCAT themes): name → (Chinese title, English title, EU data theme).
TOPICS: dict[str, tuple[str, str, str]] = {
    "air": ("大气环境", "Air", "ENVI"),
    "water": ("水环境", "Water", "ENVI"),
    "meteorology": ("气象", "Meteorology", "ENVI"),
    "pollution-sources": ("污染源", "Pollution sources", "ENVI"),
    "reference": ("基础信息", "Reference data", "GOVE"),
}


def dataset_uuid(name: str) -> str:
    """The stable UUID of a dataset (its CKAN ``id``), derived from its name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecodata:dataset:{name}"))
