"""Who may enter and act: login by CPF, lotação, perfis and permissions, sessions, gov.br."""
