from __future__ import annotations

from tests.detectors.pii.conftest import spans_of

from steward.detectors.pii.vehicle import vin_check_digit_ok
from steward.policy.schema import PiiType

E = PiiType


def test_vin_check_digit():
    assert vin_check_digit_ok("1HGCM82633A004352")
    assert vin_check_digit_ok("11111111111111111")
    assert not vin_check_digit_ok("1HGCM82633A004353")
    assert not vin_check_digit_ok("1HGCM82633A00435")  # 16 characters


def test_vin_found_by_check_digit_or_context(find):
    text = "Car 1HGCM82633A004352 sold"
    assert find(E.VEHICLE_IDENTIFICATION_NUMBER, text) == spans_of(text, "1HGCM82633A004352")
    text = "VIN: WVWZZZ1JZXW000001"  # European VINs carry no check digit
    assert find(E.VEHICLE_IDENTIFICATION_NUMBER, text) == spans_of(text, "WVWZZZ1JZXW000001")
    assert find(E.VEHICLE_IDENTIFICATION_NUMBER, "Ref WVWZZZ1JZXW000001") == []
    assert find(E.VEHICLE_IDENTIFICATION_NUMBER, "Car 1HGCM82633A004353 sold") == []


def test_license_plate_after_plate_words(find):
    text = "License plate: 7ABC123, blue sedan"
    assert find(E.LICENSE_PLATE, text) == spans_of(text, "7ABC123")
    text = "registration number AB12 CDE"
    assert find(E.LICENSE_PLATE, text) == spans_of(text, "AB12 CDE")
    assert find(E.LICENSE_PLATE, "Plate from 2019 was chipped") == []
    assert find(E.LICENSE_PLATE, "Product 7ABC123 is back in stock") == []
