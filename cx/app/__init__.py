"""The only Streamlit-aware code besides pages/: page setup, tiles, widgets."""
