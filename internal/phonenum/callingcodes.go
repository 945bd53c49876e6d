package phonenum

import (
	"strings"
	"sync"
)

// callingCodesText lists the ITU-T E.164 country calling codes assigned to
// countries and territories (ITU-T Recommendation E.164 Annex to ITU
// Operational Bulletin, "List of ITU-T Recommendation E.164 assigned country
// codes"), one "code name" a line. Calling codes are prefix-free, so at most
// one of the first one, two or three digits of an international number is
// on the list.
//
// Left out on purpose: the non-geographic codes 800 and 808 (freephone and
// shared cost), 870 (Inmarsat), 878 (UPT), 881 (satellite), 882 and 883
// (international networks), 888 (OCHA), 979 (international premium rate) and
// 991 (trial). None of them is a personal mobile number that should receive
// a verification SMS, and premium-rate and satellite ranges are favourite
// toll-fraud targets.
const callingCodesText = `
1 North American Numbering Plan (US, CA, Caribbean)
7 Russia, Kazakhstan
20 Egypt
27 South Africa
211 South Sudan
212 Morocco
213 Algeria
216 Tunisia
218 Libya
220 Gambia
221 Senegal
222 Mauritania
223 Mali
224 Guinea
225 Cote d'Ivoire
226 Burkina Faso
227 Niger
228 Togo
229 Benin
230 Mauritius
231 Liberia
232 Sierra Leone
233 Ghana
234 Nigeria
235 Chad
236 Central African Republic
237 Cameroon
238 Cabo Verde
239 Sao Tome and Principe
240 Equatorial Guinea
241 Gabon
242 Congo
243 Democratic Republic of the Congo
244 Angola
245 Guinea-Bissau
246 Diego Garcia
247 Ascension
248 Seychelles
249 Sudan
250 Rwanda
251 Ethiopia
252 Somalia
253 Djibouti
254 Kenya
255 Tanzania
256 Uganda
257 Burundi
258 Mozambique
260 Zambia
261 Madagascar
262 Reunion, Mayotte
263 Zimbabwe
264 Namibia
265 Malawi
266 Lesotho
267 Botswana
268 Eswatini
269 Comoros
290 Saint Helena, Tristan da Cunha
291 Eritrea
297 Aruba
298 Faroe Islands
299 Greenland
30 Greece
31 Netherlands
32 Belgium
33 France
34 Spain
350 Gibraltar
351 Portugal
352 Luxembourg
353 Ireland
354 Iceland
355 Albania
356 Malta
357 Cyprus
358 Finland, Aland
359 Bulgaria
36 Hungary
370 Lithuania
371 Latvia
372 Estonia
373 Moldova
374 Armenia
375 Belarus
376 Andorra
377 Monaco
378 San Marino
379 Vatican City
380 Ukraine
381 Serbia
382 Montenegro
383 Kosovo
385 Croatia
386 Slovenia
387 Bosnia and Herzegovina
389 North Macedonia
39 Italy, Vatican City
40 Romania
41 Switzerland
420 Czechia
421 Slovakia
423 Liechtenstein
43 Austria
44 United Kingdom, Guernsey, Jersey, Isle of Man
45 Denmark
46 Sweden
47 Norway, Svalbard
48 Poland
49 Germany
500 Falkland Islands
501 Belize
502 Guatemala
503 El Salvador
504 Honduras
505 Nicaragua
506 Costa Rica
507 Panama
508 Saint Pierre and Miquelon
509 Haiti
51 Peru
52 Mexico
53 Cuba
54 Argentina
55 Brazil
56 Chile
57 Colombia
58 Venezuela
590 Guadeloupe, Saint Barthelemy, Saint Martin
591 Bolivia
592 Guyana
593 Ecuador
594 French Guiana
595 Paraguay
596 Martinique
597 Suriname
598 Uruguay
599 Curacao, Caribbean Netherlands
60 Malaysia
61 Australia, Christmas Island, Cocos Islands
62 Indonesia
63 Philippines
64 New Zealand
65 Singapore
66 Thailand
670 Timor-Leste
672 Norfolk Island, Australian Antarctic Territory
673 Brunei
674 Nauru
675 Papua New Guinea
676 Tonga
677 Solomon Islands
678 Vanuatu
679 Fiji
680 Palau
681 Wallis and Futuna
682 Cook Islands
683 Niue
685 Samoa
686 Kiribati
687 New Caledonia
688 Tuvalu
689 French Polynesia
690 Tokelau
691 Micronesia
692 Marshall Islands
81 Japan
82 Korea (Republic of)
84 Viet Nam
850 Korea (Democratic People's Republic of)
852 Hong Kong, China
853 Macao, China
855 Cambodia
856 Laos
86 China
880 Bangladesh
886 Taiwan, China
90 Turkiye
91 India
92 Pakistan
93 Afghanistan
94 Sri Lanka
95 Myanmar
960 Maldives
961 Lebanon
962 Jordan
963 Syria
964 Iraq
965 Kuwait
966 Saudi Arabia
967 Yemen
968 Oman
970 Palestine
971 United Arab Emirates
972 Israel
973 Bahrain
974 Qatar
975 Bhutan
976 Mongolia
977 Nepal
98 Iran
992 Tajikistan
993 Turkmenistan
994 Azerbaijan
995 Georgia
996 Kyrgyzstan
998 Uzbekistan
`

// callingCodes is the set of codes of callingCodesText, built once.
var callingCodes = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, 256)
	for line := range strings.Lines(callingCodesText) {
		if code, _, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			m[code] = true
		}
	}
	return m
})

// splitCallingCode splits the digits of an international number into its
// calling code and the national significant number. ok is false when no
// assigned geographic calling code starts the digits.
func splitCallingCode(digits string) (code, nsn string, ok bool) {
	codes := callingCodes()
	for n := 1; n <= 3 && n < len(digits); n++ {
		if codes[digits[:n]] {
			return digits[:n], digits[n:], true
		}
	}
	return "", "", false
}
