"""Compare GIO with baseline selection methods on the loaded data (built once the metrics module lands)."""

import streamlit as st

st.title("Compare methods")
st.info("The method comparison is being built; use **Select data** meanwhile.")
