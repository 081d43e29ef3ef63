"""Provinces and their prefectures by GB/T 2260 administrative division code.

The Yangtze River Delta provinces are the default; a deployment adds provinces by
configuration (settings ``PROVINCES``, a JSON object of the same shape as :data:`YRD`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hazardous_transfer.domain.errors import UnknownPrefecture, UnknownProvince

TWO_DIGITS = re.compile(r"^\d{2}$")


class Province(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[1-8]\d$", description="GB/T 2260 province code, 2 digits")
    name: str = Field(min_length=1)
    prefectures: Mapping[str, str] = Field(
        min_length=1, description="prefecture code (2 digits) -> name"
    )

    @field_validator("prefectures")
    @classmethod
    def _two_digit_codes(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        bad = [code for code in value if not TWO_DIGITS.match(code) or code == "00"]
        if bad:
            raise ValueError(f"prefecture codes must be two digits 01-99, got {bad}")
        return dict(value)


YRD: dict[str, dict[str, object]] = {
    "31": {"name": "上海市", "prefectures": {"01": "市辖区"}},
    "32": {
        "name": "江苏省",
        "prefectures": {
            "01": "南京市", "02": "无锡市", "03": "徐州市", "04": "常州市", "05": "苏州市",
            "06": "南通市", "07": "连云港市", "08": "淮安市", "09": "盐城市", "10": "扬州市",
            "11": "镇江市", "12": "泰州市", "13": "宿迁市",
        },
    },
    "33": {
        "name": "浙江省",
        "prefectures": {
            "01": "杭州市", "02": "宁波市", "03": "温州市", "04": "嘉兴市", "05": "湖州市",
            "06": "绍兴市", "07": "金华市", "08": "衢州市", "09": "舟山市", "10": "台州市",
            "11": "丽水市",
        },
    },
    "34": {
        "name": "安徽省",
        "prefectures": {
            "01": "合肥市", "02": "芜湖市", "03": "蚌埠市", "04": "淮南市", "05": "马鞍山市",
            "06": "淮北市", "07": "铜陵市", "08": "安庆市", "10": "黄山市", "11": "滁州市",
            "12": "阜阳市", "13": "宿州市", "15": "六安市", "16": "亳州市", "17": "池州市",
            "18": "宣城市",
        },
    },
}  # fmt: skip


class ProvinceRegistry:
    def __init__(self, provinces: Mapping[str, Province]) -> None:
        self._provinces = dict(provinces)

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, object]]) -> ProvinceRegistry:
        provinces = {
            code: Province.model_validate({"code": code, **c}) for code, c in config.items()
        }
        return cls(provinces)

    @classmethod
    def yangtze_river_delta(cls) -> ProvinceRegistry:
        return cls.from_config(YRD)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._provinces)

    def province(self, code: str) -> Province:
        try:
            return self._provinces[code]
        except KeyError:
            known = ", ".join(sorted(self._provinces))
            raise UnknownProvince(f"province {code!r} is not served (known: {known})") from None

    def check_prefecture(self, province_code: str, prefecture_code: str) -> None:
        province = self.province(province_code)
        if prefecture_code not in province.prefectures:
            raise UnknownPrefecture(
                f"prefecture {prefecture_code!r} is not in {province.name} ({province_code})"
            )
