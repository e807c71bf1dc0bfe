"""Agendas, bookings and the lista de atendimentos of a UBS."""
