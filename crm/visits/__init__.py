"""Return visits (客户回访): campaigns over an audience of owners — after signing, after handover,
thematic, and the four-year visit (四年之约) — one small visit instance per owner spread over the
campaign's visitors, the owner's answers to the campaign's questionnaire, and a complaint opened from
every dissatisfied answer."""
