"""Composition rules become data: one rule set per call, referenced by the call."""

import django.db.models.deletion
from django.db import migrations, models

# The 2021 call asks for "at least 2 EU Member States" among the eligible countries (Serbian
# National Agency's CoVE page:
# https://erasmusplus.rs/vocational-education-and-training/centres-for-vocational-excellence/).
# The summaries of later calls do not mention it, and whether they dropped it is not confirmed:
# too few Member States is a warning there.
RULESETS = [
    ("cove-2021", "CoVE 2021 call", "breach"),
    ("cove-2022", "CoVE 2022 call", "warning"),
    ("cove-2023", "CoVE 2023 call", "warning"),
    ("cove-2024", "CoVE 2024 call", "warning"),
    ("cove-2025", "CoVE 2025 call", "warning"),
    ("cove-2026", "CoVE 2026 call", "warning"),
]


def load(apps, schema_editor):
    RuleSet = apps.get_model("grants", "RuleSet")
    RuleSet.objects.bulk_create(
        RuleSet(key=key, name=name, member_states_severity=severity)
        for key, name, severity in RULESETS
    )
    # Calls that name a rule set nobody defined get a default one, so the reference holds.
    Call = apps.get_model("grants", "Call")
    known = {key for key, _name, _severity in RULESETS}
    for key in set(Call.objects.values_list("ruleset_key", flat=True)) - known:
        RuleSet.objects.create(key=key, name=key)


class Migration(migrations.Migration):
    dependencies = [("grants", "0002_reference_data")]

    operations = [
        migrations.CreateModel(
            name="RuleSet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=50, unique=True, verbose_name="key")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "min_full_partners",
                    models.PositiveSmallIntegerField(
                        default=8, verbose_name="minimum full partners"
                    ),
                ),
                (
                    "affiliated_entities_count_as_partners",
                    models.BooleanField(
                        default=False,
                        verbose_name="affiliated entities count toward the full partners",
                    ),
                ),
                (
                    "min_eligible_countries",
                    models.PositiveSmallIntegerField(
                        default=4, verbose_name="minimum eligible countries"
                    ),
                ),
                (
                    "min_member_states",
                    models.PositiveSmallIntegerField(
                        default=2, verbose_name="minimum EU Member States"
                    ),
                ),
                (
                    "member_states_severity",
                    models.CharField(
                        choices=[("breach", "Breach"), ("warning", "Warning")],
                        default="warning",
                        max_length=10,
                        verbose_name="consequence of too few EU Member States",
                    ),
                ),
                (
                    "type_rule_reading",
                    models.CharField(
                        choices=[
                            ("lenient", "Lenient: enough represented countries have both types"),
                            ("strict", "Strict: every represented country has both types"),
                        ],
                        default="lenient",
                        max_length=10,
                        verbose_name="reading of the type rule",
                    ),
                ),
                (
                    "min_qualifying_countries",
                    models.PositiveSmallIntegerField(
                        default=4,
                        verbose_name="minimum countries with an employer and a VET provider",
                    ),
                ),
                (
                    "affiliated_entities_count_for_types",
                    models.BooleanField(
                        default=True,
                        verbose_name="affiliated entities' types count for their country",
                    ),
                ),
                (
                    "country_reference",
                    models.CharField(
                        choices=[
                            ("call", "The call's reference date"),
                            ("signature", "The grant's signature date"),
                            ("evaluation", "The date evaluated"),
                        ],
                        default="call",
                        max_length=12,
                        verbose_name="country status as of",
                    ),
                ),
                (
                    "temporary_gap_days",
                    models.PositiveSmallIntegerField(
                        default=90,
                        help_text="A breach that recorded changes end within this many days is reported for review as a temporary gap; 0 reports every breach as a breach.",
                        verbose_name="tolerated gap (days)",
                    ),
                ),
                (
                    "scheduled_breach_days",
                    models.PositiveSmallIntegerField(
                        default=90, verbose_name="warn of a coming breach (days ahead)"
                    ),
                ),
                (
                    "secondary_vet_provider_review",
                    models.BooleanField(
                        default=True,
                        help_text="Proposals may not target only the tertiary level (EQF 3-5 coverage).",
                        verbose_name="review a consortium without an upper-secondary VET provider",
                    ),
                ),
            ],
            options={
                "verbose_name": "rule set",
                "verbose_name_plural": "rule sets",
                "ordering": ["key"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("member_states_severity__in", ["breach", "warning"])),
                        name="ruleset_member_states_severity_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("type_rule_reading__in", ["lenient", "strict"])),
                        name="ruleset_type_rule_reading_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("country_reference__in", ["call", "signature", "evaluation"])
                        ),
                        name="ruleset_country_reference_known",
                    ),
                ],
            },
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RenameField(model_name="call", old_name="ruleset_key", new_name="ruleset"),
        migrations.AlterField(
            model_name="call",
            name="ruleset",
            field=models.ForeignKey(
                db_column="ruleset_key",
                help_text="The consortium composition rules that apply to this call's grants.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="calls",
                to="grants.ruleset",
                to_field="key",
                verbose_name="rule set",
            ),
        ),
    ]
