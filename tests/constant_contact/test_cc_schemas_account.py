"""What the preflight reads from lists and custom fields: deletion, types, metadata, choices."""

from __future__ import annotations

from cc_tui.constant_contact.schemas import ContactList, CustomField, CustomFieldMetadata


def test_a_deleted_list_says_so() -> None:
    gone = ContactList.from_json(
        {
            "list_id": "0da359c8-32d1-5353-979d-6c8953a49a6c",
            "name": "Raffle",
            "deleted_at": "2025-03-31T09:00:00Z",
        }
    )
    assert gone.deleted and gone.deleted_at is not None and gone.deleted_at.day == 31
    assert not ContactList.from_json({"list_id": "x", "name": "Live"}).deleted


def test_custom_field_type_metadata_and_choices_are_read() -> None:
    field = CustomField.from_json({
        "custom_field_id": "d0737000-afbf-11ee-874a-eaf5d7a2e15d", "label": "Size", "name": "Size",
        "type": "single_select", "metadata": {"display_type": "dropdown"},
        "choices": [
            {"choice_id": 1, "choice_label": "Small", "display_order": 1},
            {"choice_id": 2, "choice_label": "Gone", "deleted_at": "2023-12-18"},
            {"choice_id": 3, "choice_label": "Large", "display_order": 2},
            "not an object",
        ],
    })  # fmt: skip
    assert (field.type, field.choices) == ("single_select", ("Small", "Large"))
    assert field.metadata == CustomFieldMetadata(display_type="dropdown")
    price = CustomField.from_json({
        "custom_field_id": "1618ae62-4752-11e9-9c8a-fa163e6b01c1", "name": "price",
        "type": "currency",
        "metadata": {"decimal_places": 2, "allow_negative": True, "currency_code": "USD"},
    })  # fmt: skip
    assert price.metadata == CustomFieldMetadata(
        allow_negative=True, integer=False, decimal_places=2, currency_code="USD"
    )
    plain = CustomField.from_json({"custom_field_id": "x", "name": "tier", "type": "string"})
    assert plain.metadata == CustomFieldMetadata() and plain.choices == ()
