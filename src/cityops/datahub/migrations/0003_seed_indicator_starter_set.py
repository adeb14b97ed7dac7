"""Seed the 32-indicator starter set (docs: shared reference, §4.4), grouped by the six Giffinger domains.

Data only; reversing deletes exactly these codes (and their values).
"""

from django.db import migrations

H, L = "higher", "lower"
AQ = {"kind": "observation_mean", "entity_type": "AirQualityObserved", "attribute": "PM25"}
SPEED = {"kind": "observation_mean", "entity_type": "TrafficFlowObserved", "attribute": "averageVehicleSpeed",
         "hours": [7, 8, 17, 18]}  # fmt: skip

# code, domain, English name, Vietnamese name, unit, direction, frequency, source, formula, reference
STARTER = [
    ("ECO-01", "economy", "Unemployment rate", "Tỷ lệ thất nghiệp", "%", L, "yearly", "manual", {}, "U4SSC EC:P:EM:1C; ISO 37120 5.1"),
    ("ECO-02", "economy", "Youth unemployment rate", "Tỷ lệ thất nghiệp thanh niên", "%", L, "yearly", "manual", {}, "ISO 37120:2014 5.5"),
    ("ECO-03", "economy", "Businesses per 100,000 population", "Số doanh nghiệp trên 100.000 dân", "#/100k", H, "yearly", "manual", {}, "ISO 37120 5.6"),
    ("ECO-04", "economy", "New patents per 100,000 per year", "Số bằng sáng chế mới trên 100.000 dân mỗi năm", "#/100k·yr", H, "yearly", "manual", {}, "ISO 37120 5.7"),
    ("ECO-05", "economy", "Population living in poverty", "Tỷ lệ dân số nghèo", "%", L, "yearly", "manual", {}, "ISO 37120 5.3"),
    ("PEO-01", "people", "Household Internet access", "Tỷ lệ hộ gia đình có Internet", "%", H, "yearly", "manual", {}, "U4SSC EC:ICT:ICT:1C"),
    ("PEO-02", "people", "Fixed broadband households", "Tỷ lệ hộ có băng rộng cố định", "%", H, "yearly", "manual", {}, "U4SSC; SDG 17.6.2"),
    ("PEO-03", "people", "Primary completion rate", "Tỷ lệ hoàn thành tiểu học", "%", H, "yearly", "manual", {}, "ISO 37120 6.2"),
    ("PEO-04", "people", "Female school-age enrolment", "Tỷ lệ nữ trong độ tuổi đi học được đến trường", "%", H, "yearly", "manual", {}, "ISO 37120 6.1"),
    ("PEO-05", "people", "Higher-education degrees per 100,000", "Số người có bằng đại học trên 100.000 dân", "#/100k", H, "yearly", "manual", {}, "ISO 37120"),
    ("GOV-01", "governance", "Open datasets published", "Tỷ lệ bộ dữ liệu mở được công bố", "%", H, "quarterly", "module", {"kind": "datahub_public_share"}, "U4SSC EC:ICT:PS:1A"),
    ("GOV-02", "governance", "e-Government services", "Số dịch vụ công trực tuyến", "#", H, "yearly", "manual", {}, "U4SSC EC:ICT:PS:2A"),
    ("GOV-03", "governance", "Voter participation, last local election", "Tỷ lệ cử tri đi bầu cử gần nhất", "%", H, "irregular", "manual", {}, "ISO 37120"),
    ("GOV-04", "governance", "Incident SOP on-time closure", "Tỷ lệ sự cố xử lý đúng hạn theo quy trình", "%", H, "monthly", "module", {"kind": "operations_incident_on_time"}, "platform"),
    ("GOV-05", "governance", "Inter-agency data freshness", "Tỷ lệ nguồn dữ liệu cập nhật đúng hạn", "%", H, "monthly", "module", {"kind": "datahub_freshness"}, "platform"),
    ("MOB-01", "mobility", "Dynamic public transport information", "Tỷ lệ điểm dừng có thông tin thời gian thực", "%", H, "yearly", "manual", {}, "U4SSC EC:ICT:T:1C"),
    ("MOB-02", "mobility", "Public transport convenience", "Tỷ lệ dân cư trong bán kính 0,5 km tới điểm dừng", "%", H, "yearly", "manual", {}, "U4SSC EC:I:T:2A"),
    ("MOB-03", "mobility", "Traffic fatalities per 100,000", "Số người chết do tai nạn giao thông trên 100.000 dân", "#/100k", L, "yearly", "manual", {}, "U4SSC SC:SH:SA:9C"),
    ("MOB-04", "mobility", "Peak-hour mean speed on the monitored network", "Tốc độ trung bình giờ cao điểm", "km/h", H, "daily", "formula", SPEED, "platform"),
    ("MOB-05", "mobility", "Congested lane-hours", "Số giờ-làn ùn tắc", "h/day", L, "daily", "module", {"kind": "traffic_congested_hours"}, "platform"),
    ("MOB-06", "mobility", "Annual public transport trips per capita", "Số lượt đi xe buýt bình quân đầu người mỗi năm", "trips/person·yr", H, "yearly", "manual", {}, "ISO 37120"),
    ("ENV-01", "environment", "Air pollution: mean PM2.5", "Nồng độ bụi PM2.5 trung bình", "µg/m³", L, "daily", "formula", AQ, "U4SSC EN:EN:AQ:1C"),
    ("ENV-02", "environment", "Share of days with good or moderate AQI", "Tỷ lệ ngày có AQI tốt hoặc trung bình", "%", H, "monthly", "module", {"kind": "aqi_good_days"}, "platform"),
    ("ENV-03", "environment", "Water quality compliance", "Tỷ lệ mẫu nước đạt quy chuẩn", "%", H, "monthly", "module", {"kind": "water_compliance"}, "platform"),
    ("ENV-04", "environment", "Green area per 100,000", "Diện tích cây xanh trên 100.000 dân", "ha/100k", H, "yearly", "manual", {}, "ISO 37120"),
    ("ENV-05", "environment", "Municipal solid waste recycled", "Tỷ lệ chất thải rắn được tái chế", "%", H, "yearly", "manual", {}, "ISO 37120"),
    ("ENV-06", "environment", "GHG emissions per capita", "Phát thải khí nhà kính bình quân đầu người", "tCO₂e/person·yr", L, "yearly", "manual", {}, "ISO 37120"),
    ("LIV-01", "living", "Life expectancy at birth", "Tuổi thọ trung bình", "years", H, "yearly", "manual", {}, "ISO 37120"),
    ("LIV-02", "living", "In-patient hospital beds per 100,000", "Số giường bệnh nội trú trên 100.000 dân", "#/100k", H, "yearly", "manual", {}, "ISO 37120"),
    ("LIV-03", "living", "Physicians per 100,000", "Số bác sĩ trên 100.000 dân", "#/100k", H, "yearly", "manual", {}, "ISO 37120"),
    ("LIV-04", "living", "Violent crime per 100,000", "Số vụ phạm tội bạo lực trên 100.000 dân", "#/100k", L, "yearly", "manual", {}, "ISO 37120"),
    ("LIV-05", "living", "Emergency response time", "Thời gian phản ứng khẩn cấp", "min", L, "monthly", "module", {"kind": "operations_response_time"}, "ISO/U4SSC + platform"),
]  # fmt: skip


def seed(apps, schema_editor):
    Indicator = apps.get_model("datahub", "IndicatorDefinition")
    for code, domain, name_en, name_vi, unit, direction, frequency, source, formula, reference in STARTER:
        Indicator.objects.update_or_create(
            code=code.lower(),
            defaults={
                "domain": domain, "name_en": name_en, "name_vi": name_vi, "unit": unit, "direction": direction,
                "frequency": frequency, "source": source, "formula": formula, "reference": reference,
            },
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("datahub", "IndicatorDefinition").objects.filter(code__in=[r[0].lower() for r in STARTER]).delete()


class Migration(migrations.Migration):
    dependencies = [("datahub", "0002_indicators")]
    operations = [migrations.RunPython(seed, unseed)]
