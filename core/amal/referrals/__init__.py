"""Referrals to the regional employment services (Dote Lavoro / GOL)."""
