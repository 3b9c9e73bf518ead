"""The demo data set's declarations: the units, the people's names, task titles and metric ranges, the fates
the current year's tasks go through, and the logins printed when the data set is already there."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "Demo@2026"
DATA = Path(__file__).resolve().parents[2] / "criteria" / "data" / "criteria-commune-2020.yaml"

WARDS = [
    ("YB-DT", "Phường Đồng Tâm"),
    ("YB-HH", "Phường Hồng Hà"),
    ("YB-MT", "Phường Minh Tân"),
    ("YB-NP", "Phường Nguyễn Phúc"),
    ("YB-NTH", "Phường Nguyễn Thái Học"),
    ("YB-YN", "Phường Yên Ninh"),
    ("YB-YT", "Phường Yên Thịnh"),
    ("YB-TT", "Xã Tân Thịnh"),
    ("YB-GP", "Xã Giới Phiên"),
    ("YB-AL", "Xã Âu Lâu"),
]
TRAN_YEN = [("TY-CL", "Xã Cường Thịnh"), ("TY-BH", "Xã Bảo Hưng"), ("TY-MQ", "Xã Minh Quân")]
DEPARTMENTS = [
    ("YB-SNV", "Sở Nội vụ"),
    ("YB-STP", "Sở Tư pháp"),
    ("YB-STTTT", "Sở Thông tin và Truyền thông"),
]

TASK_TITLES = {
    "1.1.1": "Ban hành kế hoạch CCHC năm",
    "1.2.1": "Gửi báo cáo CCHC định kỳ",
    "1.3": "Kiểm tra công tác CCHC và xử lý sau kiểm tra",
    "1.4": "Thực hiện kế hoạch tuyên truyền CCHC",
    "1.5": "Thực hiện nhiệm vụ cấp trên giao",
    "1.6": "Đề xuất sáng kiến CCHC",
    "2.1": "Ban hành văn bản đúng thẩm quyền, trình tự",
    "2.2": "Rà soát, hệ thống hóa văn bản QPPL",
    "3.1": "Công khai TTHC tại Bộ phận một cửa và trên cổng thông tin",
    "3.2": "Báo cáo tỷ lệ hồ sơ TTHC giải quyết đúng hạn",
    "3.4": "Tiếp nhận, xử lý phản ánh kiến nghị",
    "3.5": "Số hóa hồ sơ, kết quả giải quyết TTHC",
    "3.6": "Tiếp nhận, trả kết quả qua bưu chính công ích và DVC trực tuyến toàn trình",
    "4.1": "Ban hành quy chế làm việc",
    "4.3": "Bố trí công chức làm việc tại Bộ phận một cửa",
    "5.1": "Chấp hành kỷ luật, kỷ cương hành chính (Kế hoạch 36/KH-UBND)",
    "5.2": "Báo cáo tỷ lệ công chức đạt chuẩn",
    "5.3": "Đào tạo, bồi dưỡng cán bộ, công chức theo kế hoạch",
    "5.4": "Đánh giá, xếp loại công chức",
    "6.1": "Báo cáo thu ngân sách so với dự toán",
    "6.2": "Công khai ngân sách",
    "7.1": "Trao đổi văn bản, ký số trên môi trường điện tử",
    "7.2": "Sử dụng phần mềm quản lý văn bản, giao và nhắc việc",
    "7.3": "Báo cáo tỷ lệ hồ sơ TTHC trực tuyến",
    "7.4": "Báo cáo tỷ lệ thanh toán trực tuyến",
    "8.1": "Báo cáo thực hiện chỉ tiêu phát triển kinh tế - xã hội",
    "8.2": "Báo cáo tỷ lệ hài lòng qua đánh giá điện tử",
}
METRIC_RANGES = {
    "3.2": (94, 100),
    "3.5": (60, 100),
    "3.6": (40, 90),
    "5.2": (85, 100),
    "6.1": (85, 110),
    "7.1": (65, 98),
    "7.3": (20, 60),
    "7.4": (10, 40),
    "8.1": (75, 105),
    "8.2": (80, 99),
}

# The communes' officials, in the order of WARDS then TRAN_YEN (their leaders are "Chủ tịch <unit>").
OFFICIAL_NAMES = [
    "Phạm Văn Hùng",
    "Đỗ Thị Lan",
    "Hoàng Văn Nam",
    "Vũ Thị Mai",
    "Bùi Đức Long",
    "Đặng Thu Hà",
    "Ngô Văn Bình",
    "Lý Thị Nga",
    "Trịnh Văn Sơn",
    "Phan Thị Yến",
    "Mai Văn Đức",
    "Tạ Thị Hằng",
    "Cao Văn Tú",
]

# The current year's annual-plan tasks cycle through these fates (unit i, criterion j: fate (7i + j) mod 16).
CURRENT_FATES = [
    "approved",
    "approved",
    "approved",
    "late",
    "submitted",
    "returned",
    "in_progress",
    "in_progress",
    "assigned",
    "overdue",
    "overdue",
    "cancelled",
    "draft",
    "due_soon",
    "due_soon",
    "due_soon",
]
# Plan 36/KH-UBND's three tasks per commune (criterion 5.1): title, due in working days from today, fate.
DISCIPLINE = [
    ("Kiểm tra việc chấp hành giờ giấc làm việc", -4, "in_progress"),
    ("Niêm yết công khai quy tắc ứng xử tại trụ sở", 2, "assigned"),
    ("Báo cáo kết quả thực hiện Kế hoạch 36/KH-UBND", 12, "approved"),
]
# Every history year's appraisal criteria and their maximum points.
APPRAISED = (("1.2.2", 1), ("4.2", 2), ("6.3", 2), ("8.3", 2))

# Printed by `load_demo --if-empty` when the data set was loaded earlier (the full list is not stored).
DEFAULT_LOGINS = [
    ("admin", "quản trị"),
    ("lanhdao.tinh", "lãnh đạo tỉnh"),
    ("thamdinh", "thẩm định viên"),
    ("lanhdao.tp", "lãnh đạo thành phố"),
    ("chuyenvien.tp", "chuyên viên thành phố"),
    ("canbo.dt", "cán bộ Phường Đồng Tâm"),
    ("lanhdao.dt", "lãnh đạo Phường Đồng Tâm"),
]
