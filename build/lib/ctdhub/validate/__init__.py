"""The validate stage: declarative checks over mapped records, each problem a typed finding."""

from ctdhub.validate.rules import RULES, Rule, run_validation

__all__ = ["RULES", "Rule", "run_validation"]
