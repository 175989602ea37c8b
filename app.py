"""GIO Studio (placeholder until the app issue lands)."""

import streamlit as st

st.set_page_config(page_title="GIO Studio", layout="wide")
st.title("GIO Studio")
st.info("The app is being built in its own issue. The engine is ready: see the README's Python API.")
