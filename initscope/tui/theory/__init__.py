"""The Theory tab: mean-field readouts, the phase diagram and the Jacobian spectrum."""
