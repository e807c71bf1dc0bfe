"""Clinical care: escuta inicial, atendimento SOAP, problems, documents."""
