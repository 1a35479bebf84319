"""Invented-people name data: naming cultures with real head names and syllables for a long tail.

Each culture lists its most common given names (women, men) and family names, most frequent first (drawn
with Zipf-like weights, or explicit shares where the real concentration is known, e.g. Nguyễn ~38 %), and
syllable tables from which rarer names are built combinatorially (Thai surnames, Sinhala surnames,
Yoruba and Igbo names ...). How the parts are put together (two family names, patronymics, bin/bint,
father's name as surname) is described per culture and done by `ctdhub.demo.people`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: one syllable table: a name is one entry of each position joined (an empty entry skips the position)
Syllables = tuple[tuple[str, ...], ...]
Style = Literal["western", "vietnamese", "chain"]


def _l(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _s(*positions: str) -> Syllables:
    return tuple(tuple(p.split(",")) for p in positions)


@dataclass(frozen=True)
class Pool:
    """Where one name part comes from: head names (Zipf weights unless given) and a syllable tail."""

    head: tuple[str, ...]
    tail: tuple[Syllables, ...] = ()
    tail_share: float = 0.0
    zipf: float = 1.0
    weights: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Culture:
    """How people of one naming culture are named."""

    name: str
    female: Pool
    male: Pool
    family: Pool | None
    style: Style = "western"
    compound: float = 0.0  # share with a second given name
    second_f: Pool | None = None  # where a woman's second given name comes from (default: `female`)
    second_m: Pool | None = None
    repeat: float = 0.0  # share of second given names that repeat the first (Burmese "Aye Aye")
    double_family: float = 0.0  # share with two family names (paternal + maternal)
    family_f: Pool | None = None  # women's own family names (Bangladesh: Begum, Akter ...)
    middle_f: Pool | None = None  # Vietnamese middle names
    middle_m: Pool | None = None
    father: float = 0.0  # share naming the father (patronymic, nasab, or the father's name as surname)
    nasab: tuple[str, str] | None = None  # ("bin", "bint"): the father's name joins the family name with it
    nasab_share: float = 0.0  # share of named fathers written with the nasab word
    grandfather: float = 0.0  # chain style: share also naming the grandfather
    gender_rule: str = ""  # "ru", "uk", "bg": feminine family names and patronymics
    marriage: bool = False  # women may take their husband's family name


# -- South-East and East Asia -------------------------------------------------------------------------------

VN_FAMILY = Pool(
    _l(
        "Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng, Bùi, Đỗ, Hồ, Ngô, Dương, Lý, Đinh, Trương,"
        "Đào, Lâm, Mai, Trịnh, Lương, Tạ, Hà, Cao, Châu, Tô, Lưu, Quách, Thái, Kiều, Tăng, Chu, Vương,"
        "Triệu, Đoàn, La, Phùng, Khổng, Tôn, Thân, Âu, Nông, Hứa, Giáp, Mạc"
    ),
    weights=(38, 11, 9.5, 7.1, 3.1, 2.0, 4.5, 1.9, 2.0, 2.1, 2, 1.4, 1.3, 1.3, 1, 0.5, 0.6, 0.6)
    + (0.5,) * 10
    + (0.3,) * 19,
)
VIETNAMESE = Culture(
    "vietnamese",
    female=Pool(
        _l(
            "Hương, Linh, Lan, Mai, Anh, Hà, Ngọc, Trang, Thảo, Hằng, Nga, Hoa, Phương, Huyền, Thủy, Dung,"
            "Hạnh, Nhung, Oanh, Thu, Yến, Loan, Vân, Hiền, Hồng, Liên, Tâm, Thúy, Trinh, Uyên, Vy, Nhi,"
            "Quỳnh, Diệp, Giang, Hậu, Lệ, My, Nhàn, Phượng, Quyên, Sương, Thắm, Thơ, Tuyết, Xuân, Ánh, Châu"
        ),
        tail=(
            _s(
                "Bảo,Cát,Chi,Đào,Gấm,Hân,Hoài,Kha,Khuê,Lam,Lụa,Mơ,Ngân,Nguyệt,Nhiên,Nụ,Quế,Sen,Thi,Thoa,"
                "Thư,Trâm,Tuệ,Vi,Xoan,Ý,Diễm,Duyên,Hoa,Huệ,Kim,Lài,Liễu,Ly,Mận,Ngà,Nhạn,Phấn,Son,Thắm,Trà,Vàng"
            ),
        ),
        tail_share=0.3,
        zipf=0.7,
    ),
    male=Pool(
        _l(
            "Hùng, Dũng, Tuấn, Nam, Minh, Hải, Long, Quân, Sơn, Thắng, Cường, Đức, Hiếu, Hoàng, Huy, Khánh,"
            "Phong, Phúc, Quang, Tài, Thành, Thịnh, Trung, Tú, Việt, Vinh, An, Bình, Công, Đạt, Hưng, Khoa,"
            "Lâm, Lộc, Lợi, Nghĩa, Nhân, Phát, Tâm, Thanh, Tiến, Toàn, Trí, Trọng, Tùng, Vũ, Duy, Hào, Kiên"
        ),
        tail=(
            _s(
                "Bách,Cảnh,Chiến,Chung,Danh,Đông,Giang,Hậu,Hiển,Hòa,Khải,Khang,Kha,Lực,Mạnh,Nguyên,Nhật,"
                "Phú,Quý,Sang,Sỹ,Tân,Thái,Thiện,Thông,Tín,Tình,Triều,Tường,Uy,Văn,Vĩnh,Vương,Xuyên,Yên,Hiệp"
            ),
        ),
        tail_share=0.3,
        zipf=0.7,
    ),
    family=VN_FAMILY,
    style="vietnamese",
    middle_f=Pool(
        _l(
            "Thị, Ngọc, Thu, Thanh, Kim, Thùy, Hồng, Phương, Mỹ, Bích, Minh, Diệu, Hoài, Khánh, Lan, Mai,"
            "Quỳnh, Tuyết, Xuân, Yến, Ánh, Bảo, Cẩm, Gia, Hải, Hương, Kiều, Linh, Như, Phi, Tường, Uyên,"
            "Vân, Hạnh, Huyền, Thị Thu, Thị Ngọc, Thị Thanh, Thị Kim, Thị Hồng"
        ),
        weights=(30, 8, 6, 5, 5, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2) + (1,) * 16 + (2, 2, 2, 1, 1),
    ),
    middle_m=Pool(
        _l(
            "Văn, Minh, Đức, Quang, Hữu, Thanh, Công, Xuân, Hoàng, Quốc, Ngọc, Tuấn, Anh, Duy, Gia, Hải, Huy,"
            "Mạnh, Tiến, Trọng, Trung, Đình, Bá, Chí, Khắc, Kim, Nhật, Phú, Thành, Thế, Viết, Trường, Bảo,"
            "Đăng, Hồng, Văn Minh, Văn Đức, Hữu Minh, Quang Minh, Đình Văn"
        ),
        weights=(30, 7, 6, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 1, 1, 1, 1, 1, 1, 1, 2)
        + (1,) * 10,
    ),
)

THAI_SURNAME: Syllables = _s(
    "Wong,Sri,Chai,Rattana,Boon,Suk,Phrom,Thong,Kaew,Saeng,Siri,Jan,Pan,Sawang,Charoen,Phet,Inthara,Noi,"
    "Kham,Thep,Prasert,Sombat,Wiset,Ngam,Chan,Somboon,Sang,Rak,Sak,Nak,Ruang,Sutthi,Pattana,Kul,Yen,Thana,"
    "Kittikhun,Manee,Duang,Chom,Phon,Pho,Aree,Wichai,Samran,Bunya,Mongkhon,Sirikul,Kasem,Intha",
    "sa,wa,ja,pha,ra,tha,na,ya,kha,ma,si,ri,ka,chai,phon,,",
    "wat,dee,suk,porn,chai,korn,rat,sri,thong,kul,wong,phan,sombat,ngam,rung,siri,sawat,charoen,pradit,phon,"
    "mongkol,thip,wiwat,kit,rak,sin,saeng,chot,thai,phakdi,sathit,worakun,phaisan,kasem,boon,nukul",
    "kul,wong,sakul,chai,phan,rat,sin,porn,,,,",
)
THAI = Culture(
    "thai",
    female=Pool(
        _l(
            "Siriporn, Somying, Malee, Kanya, Pranee, Sunee, Wanida, Nittaya, Supaporn, Ratana, Kannika,"
            "Duangjai, Jintana, Pornthip, Sukanya, Wilai, Orawan, Chanida, Araya, Nongluck, Thidarat, Kanokwan,"
            "Pimchanok, Sasithorn, Natthaya, Jiraporn, Rungnapa, Sumalee, Yupin, Patcharee, Kulthida, Apinya,"
            "Benjawan, Chutima, Darunee, Kamonwan, Lamai, Naiyana, Onuma, Pensri, Ratchanee, Saowalak,"
            "Tassanee, Uraiwan, Wipawee"
        ),
        tail=(
            _s(
                "Sirin,Pim,Kan,Nan,Jin,Pat,Rat,Sup,Wan,Nit,Kul,Chon,Dao,Nam,Rung,Phan,Suk,Arun,Kae,Pen,Ubon,Yup",
                "thip,porn,ya,da,tha,nee,lak,wan,rat,thida,chanok,ni,ta,ana,ruthai,sri,ja,phen",
            ),
        ),
        tail_share=0.4,
    ),
    male=Pool(
        _l(
            "Somchai, Somsak, Sombat, Prasert, Suchart, Wichai, Boonmee, Sakchai, Anan, Chaiwat, Kittisak,"
            "Nattapong, Panya, Prasit, Sompong, Surachai, Thanakorn, Weerapong, Apichat, Chatchai, Ekkachai,"
            "Jirawat, Kriangsak, Manop, Narong, Pichit, Sarawut, Somkiat, Suthep, Teerawat, Udom, Wanchai,"
            "Yuttana, Amnuay, Boonchu, Chalerm, Decha, Kamol, Niwat, Pongsak, Samran, Thawatchai, Wiroj"
        ),
        tail=(
            _s(
                "Som,Chai,Kit,Nat,Thana,Wee,Sak,Pra,Sura,Pong,Rat,Thee,Apich,Chat,Jira,Yut,Anu,Pan,Wit,Krit",
                "chai,sak,pong,korn,wat,phon,nan,dej,phan,thep,rak,kiat,sit,yut,na,chart,wut,thai",
            ),
        ),
        tail_share=0.4,
    ),
    family=Pool(
        _l(
            "Saetang, Saelim, Saeheng, Saeung, Saelee, Saeyang, Saechang, Srisuk, Jaidee, Wongsawat, Boonmee,"
            "Sukjai, Chaiyaporn, Rattanakorn, Phromma, Thongdee, Kaewkla, Saengthong, Sirikul, Janthong,"
            "Panyasri, Sawangwong, Charoenphon, Phetchara, Intharasuk, Noiwan, Khamphan, Thepsiri,"
            "Prasertsuk, Sombatwong, Wisetsak, Ngamdee, Chanthep, Somboonsuk, Sangthong, Rakthai, Saksri,"
            "Nakprasert, Ruangrit, Sutthiwong"
        ),
        tail=(THAI_SURNAME,),
        tail_share=0.95,
        zipf=0.6,
    ),
    marriage=True,
)

FILIPINO = Culture(
    "filipino",
    female=Pool(
        _l(
            "Maria, Mary Grace, Jennifer, Michelle, Joy, Rose Ann, Kristine, Angelica, Jessa, Mary Joy,"
            "Princess, Lovely, Janet, Marites, Maricel, Rowena, Analyn, Jocelyn, Marilou, Rosalie, Cherry,"
            "Lorna, Divina, Marivic, Jasmine, Camille, Nicole, Kimberly, Arlene, Gemma, Rhea, Lea, Liza, Riza,"
            "Evelyn, Remedios, Teresita, Lourdes, Corazon, Erlinda, April, Mae, Shiela, Jonalyn, Aileen"
        ),
        tail=(
            _s(
                "Jessa,Mari,Kris,Love,Ann,Joy,Jen,Ros,Lyn,Chris,Jo,Ella,Rica,Mich,Shar,Char,Jan,Cheri,Luz",
                "lyn,mae,bel,vic,jean,ann,jane,lou,line,anne,ie,ette,cel,elle",
            ),
        ),
        tail_share=0.35,
    ),
    male=Pool(
        _l(
            "Jose, John Paul, Mark, Michael, Jhon Rey, Ronald, Rodel, Jomar, Christian, Joel, Ramon, Eduardo,"
            "Antonio, Roberto, Jerome, Reynaldo, Rolando, Danilo, Ariel, Arnel, Jun, Jayson, Jeffrey, Noel,"
            "Romeo, Rommel, Renato, Ricardo, Alvin, Edwin, Marlon, Dennis, Rey, Allan, Randy, Jericho, Kenneth,"
            "Kevin, Bryan, Angelo, Carlo, Vincent, Nestor, Fernando"
        ),
        tail=(
            _s(
                "Jhon,Mar,Rey,Ren,Jo,Ar,Rod,Ed,Jay,Rom,Ron,Al,Ger,Ben,Dan,Ric,Lor,Jer,Ram,Nel",
                "rey,mar,el,son,ric,iel,win,ron,nel,jun,wyn,ald,ard,nie,boy",
            ),
        ),
        tail_share=0.35,
    ),
    family=Pool(
        _l(
            "Santos, Reyes, Cruz, Bautista, Ocampo, Garcia, Mendoza, Torres, Tomas, Castillo, Flores,"
            "Villanueva, Ramos, Castro, Rivera, Aquino, Navarro, Salazar, Mercado, Dela Cruz, De Leon,"
            "Del Rosario, Gonzales, Lopez, Hernandez, Aguilar, Fernandez, Pascual, Santiago, Dizon, Manalo,"
            "Pangilinan, Macaraeg, Dimaculangan, Magbanua, Mangubat, Panganiban, Lacson, Tolentino, Soriano,"
            "Valdez, Domingo, Gutierrez, Robles, Corpuz, Sarmiento, Galang, Lim, Tan, Sy"
        ),
        tail=(
            _s(
                "Ma,Mag,Dima,Pan,Ca,Ba,Sa,Mana,Pa,Lu,Ta,Di,Bu,Ga,Maca,Pangi,Sala",
                "ca,la,ga,li,tu,ngu,pa,ba,ma,ri,,,",
                "lang,nlag,bat,yan,nan,gan,ban,wan,pit,tan,sig,ling,han,lad,bal,dan,ngan,raeg,tulan",
            ),
        ),
        tail_share=0.5,
        zipf=0.9,
    ),
    compound=0.25,
    marriage=True,
)

_ID_FEMALE = _l(
    "Siti, Sri, Dewi, Nur, Fitri, Rina, Wati, Yuliana, Ratna, Lestari, Putri, Ayu, Indah, Wulan, Nurul,"
    "Ani, Eka, Dian, Rahmawati, Susanti, Kartika, Intan, Maya, Novi, Rini, Endang, Yanti, Lina, Murni,"
    "Sari, Tuti, Desi, Mega, Nia, Ika, Winda, Fatimah, Aisyah, Nurhayati, Suharti, Sumiati, Purwanti,"
    "Setyaningsih, Handayani"
)
_ID_MALE = _l(
    "Muhammad, Ahmad, Budi, Agus, Andi, Dedi, Eko, Hendra, Joko, Bambang, Wahyu, Rudi, Yusuf, Rizky,"
    "Arief, Dwi, Hadi, Irwan, Slamet, Sugeng, Sutrisno, Teguh, Bayu, Fajar, Adi, Dimas, Hasan, Iwan,"
    "Ismail, Fauzi, Hari, Yudi, Ari, Reza, Aditya, Rahmat, Syaiful, Abdul, Taufik, Hidayat, Firman,"
    "Imam, Kurniawan, Agung"
)
_JAVA_F: Syllables = _s(
    "Sri,Su,Tri,Dwi,Endang,Retno,Puji,Yuli,Ratna,Wahyu,Nur,Rah,Pur,Kus,Set,Mul,Sum,Hand,Lest,Ning,Indri",
    "wati,ningsih,yani,sari,ani,astuti,rahayu,ningrum,hayati,lestari,mawati,iyah,yati,ati,ana,wulan",
)
_JAVA_M: Syllables = _s(
    "Su,Tri,Eko,Dwi,Budi,Agus,Hari,Wahyu,Bam,Sug,Pur,Kus,Set,Mul,Slam,Har,Heru,Joko,Yud,Prab,Ari,Bud",
    "yanto,anto,wanto,ono,di,man,wan,adi,ardi,iyono,harto,darto,arno,ipto,yadi,santo,wibowo",
)
INDONESIAN = Culture(
    "indonesian",
    female=Pool(_ID_FEMALE, tail=(_JAVA_F,), tail_share=0.4),
    male=Pool(_ID_MALE, tail=(_JAVA_M,), tail_share=0.4),
    family=Pool(
        _l(
            "Santoso, Wibowo, Susanto, Prasetyo, Hidayat, Nugroho, Saputra, Setiawan, Kurniawan, Gunawan,"
            "Hartono, Wijaya, Pratama, Lestari, Rahayu, Wulandari, Puspitasari, Handayani, Purnamasari,"
            "Anggraini, Kusuma, Permana, Siregar, Nasution, Lubis, Harahap, Simanjuntak, Sitompul, Panjaitan,"
            "Hutapea, Sinaga, Pardede, Tambunan, Manurung, Situmorang, Ginting, Tarigan, Sembiring, Wahyudi,"
            "Syahputra, Ramadhan, Firmansyah, Hakim, Sulistyo, Utomo, Rahman"
        ),
        tail=(_JAVA_M, _JAVA_F),
        tail_share=0.5,
        zipf=0.8,
    ),
    compound=0.2,
)
MALAY = Culture(
    "malay",
    female=INDONESIAN.female,
    male=INDONESIAN.male,
    family=None,
    compound=0.45,
    father=1.0,
    nasab=("bin", "binti"),
    nasab_share=1.0,
)

KHMER = Culture(
    "khmer",
    female=Pool(
        _l(
            "Sokha, Sreymom, Sophea, Bopha, Channary, Dara, Sokunthea, Sreyleak, Kunthea, Sophal, Chanthy,"
            "Sreypov, Sokhom, Sopheap, Malis, Thida, Rotha, Sreyneang, Vanna, Chenda, Davy, Kanha, Leakhena,"
            "Mealea, Nary, Phalla, Pisey, Raksmey, Rachana, Sinath, Sothea, Sreynich, Sreypich, Theary,"
            "Veasna, Lida, Socheata, Sovannary, Kolab, Romduol"
        ),
        tail=(
            _s(
                "So,Srey,Chan,Sok,Ra,Pi,Bo,Da,Kun,Ma,Pha,Tha,Chan,Leak,Mea,Sov,Ro,Nea,Kol,Sreym",
                "phea,pha,nary,thea,ny,leak,mom,ra,rey,nith,roth,ka,da,lis,hal,neang,vy,ta,lika,kea",
            ),
        ),
        tail_share=0.5,
    ),
    male=Pool(
        _l(
            "Dara, Vannak, Rithy, Piseth, Sovann, Sambath, Chantha, Kosal, Sophal, Bunthoeun, Makara, Narin,"
            "Phirum, Ratanak, Samnang, Seyha, Sokhom, Sothy, Thearith, Vibol, Visal, Vuthy, Bora, Borey,"
            "Chamroeun, Darith, Kimhong, Mony, Panha, Phearum, Rathana, Sarith, Sopheak, Sovanna, Vichet,"
            "Virak, Vireak, Sokha, Kimsan, Pheakdey"
        ),
        tail=(
            _s(
                "So,Ra,Pi,Vi,Bo,Da,Sam,Tha,Ve,Kim,Sov,Chan,Phea,Mak,Nar,Pan,Ros,Vann,Chhay,Sar",
                "kha,seth,rith,vann,nak,bol,sal,ra,rey,nith,sna,chet,vuth,rum,ny,thy,dey,ang,na,rak",
            ),
        ),
        tail_share=0.5,
    ),
    family=Pool(
        _l(
            "Sok, Chan, Keo, Kim, Chea, Heng, Ly, Meas, Nhem, Pen, Prak, Sam, Seng, Som, Sou, Tep, Touch, Vann,"
            "Yim, Chhun, Hun, Long, Mao, Nuon, Ouk, Pich, Phan, Ros, Sar, Sin, Tan, Thach, Ung, Yin, Chhay,"
            "Khiev, Leng, Ngin, Oum, Rath, Seak, Kong, Khim, Hem, Lim, Net, Norng, Pheng, Mom, Sun"
        ),
        zipf=0.8,
    ),
)

BURMESE = Culture(
    "burmese",
    female=Pool(
        _l(
            "Aye, Su, Thandar, Hnin, Ei, Khin, May, Nwe, Nilar, Phyu, Thazin, Wai, Yamin, Zin, Moe, Myat,"
            "Sandar, Cho, Hla, Mya, Thu, Yin, Nandar, Htay, San, Ngwe, Khaing, Thida, Wint, Shwe, Yu, Htwe,"
            "Mar, Pyone, Lwin, Nu, Ohn, Sein, Tin, Kyi, Ei Ei, Yadanar, Chaw, Thet, Hsu, Myo"
        ),
        zipf=0.6,
    ),
    male=Pool(
        _l(
            "Aung, Kyaw, Zaw, Min, Htet, Ko, Soe, Thant, Tun, Win, Naing, Myint, Lin, Thein, Hein, Phyo, Ye,"
            "Zin, Nyi, Thura, Wai, Pyae, Hlaing, Htun, Maung, Myo, Than, Khant, Sithu, Zeyar, Thet, Paing,"
            "Wunna, Lwin, Htoo, Moe, Kaung, Sai, Nay, Tin, Hla, Zaw Min, Saw"
        ),
        zipf=0.6,
    ),
    family=Pool(
        _l(
            "Win, Oo, Aung, Htun, Lwin, Myint, Hlaing, Thein, Kyi, Nwe, Mon, Thu, Naing, Soe, Htwe, Khine, Cho,"
            "Mar, Zaw, Kyaw, Lin, Tun, Maw, Phyo, Wai, San, Sein, Yee, Htay, Nyein, Thant, Min, Zin, Myat,"
            "Khaing, Shwe, Thet, Paing, Nyunt, Swe"
        ),
        zipf=0.7,
    ),
    compound=0.7,
    repeat=0.15,
)

_CN_F: Syllables = _s(
    "Mei,Li,Hui,Ying,Xiu,Fang,Juan,Yan,Na,Jing,Lan,Xia,Hong,Ping,Yun,Qing,Ling,Xue,Min,Lei,Ting,Yu,Jia,Xin,"
    "Yi,Rui,Shu,Zhen,Qian,Wen,Hua,Lian,Feng,Yue,Qiong,Jie,Xiao,Dan,Lu,Ning,Shan,Chun,Lu,Man,Xi",
    "mei,li,hui,ying,xiu,fang,juan,yan,na,jing,lan,xia,hong,ping,yun,qing,ling,xue,min,ting,yu,jia,xin,"
    "yi,rui,shu,zhen,qian,wen,hua,lian,feng,yue,qiong,jie,dan,lu,ning,shan,chun,man,xi,,,,,,,,,,,,",
)
_CN_M: Syllables = _s(
    "Wei,Jun,Jian,Ming,Qiang,Lei,Yong,Jie,Tao,Chao,Hao,Bo,Peng,Hui,Gang,Hua,Long,Feng,Bin,Dong,Kai,Liang,"
    "Hai,Zhi,Guo,Xiang,Yu,Hong,Cheng,Jin,Lin,Fei,Qi,Shan,Sheng,Tian,Wen,Yi,Zhong,Xin,Rong,Zhen,Jia,De",
    "wei,jun,jian,ming,qiang,lei,yong,jie,tao,chao,hao,bo,peng,hui,gang,hua,long,feng,bin,dong,kai,liang,"
    "hai,zhi,guo,xiang,yu,hong,cheng,jin,lin,fei,qi,shan,sheng,tian,wen,yi,zhong,xin,rong,,,,,,,,,,,,",
)
CHINESE = Culture(
    "chinese",
    female=Pool(
        _l(
            "Xiuying, Guiying, Yuying, Guilan, Xiulan, Yulan, Guizhen, Fengying, Xiuzhen, Li, Jing, Min, Yan,"
            "Juan, Ying, Fang, Na, Xiaohong, Lili, Hong, Lan, Xia, Ping, Hui, Mei, Yun, Ling, Xiaoyan, Lijuan,"
            "Haiyan, Yanhong, Chunmei, Xiaomei, Yuhua, Shuzhen, Meiling, Jie, Dan, Qian, Ting"
        ),
        tail=(_CN_F,),
        tail_share=0.55,
    ),
    male=Pool(
        _l(
            "Wei, Jun, Yong, Jie, Tao, Qiang, Lei, Yang, Chao, Ming, Jian, Hua, Bin, Gang, Hui, Jianhua,"
            "Jianguo, Jianjun, Guoqiang, Zhiqiang, Dong, Hao, Peng, Xin, Jianping, Ping, Long, Liang, Wenjun,"
            "Haitao, Zhiwei, Xiaodong, Yu, Bo, Kai, Lin, Feng, Hai, Fei, Zhiming"
        ),
        tail=(_CN_M,),
        tail_share=0.55,
    ),
    family=Pool(
        _l(
            "Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Zhu, Hu, Guo, He, Gao, Lin,"
            "Luo, Zheng, Liang, Xie, Song, Tang, Han, Feng, Deng, Cao, Peng, Zeng, Xiao, Tian, Dong, Pan,"
            "Yuan, Cai, Jiang, Yu, Du, Ye, Cheng, Wei, Su, Lü, Ding, Ren, Lu, Yao, Shen"
        ),
        weights=(7.1, 7.0, 6.4, 5.4, 4.6, 3.1, 2.2, 2.0, 2.0, 1.9, 1.5, 1.4, 1.3, 1.3, 1.2, 1.1, 1.1, 1.0)
        + (1.0, 0.9, 0.9, 0.8, 0.7, 0.6, 0.6)
        + (0.5,) * 10
        + (0.4,) * 8
        + (0.3,) * 7,
        tail=(
            _s(
                "Bai,Bi,Chang,Chu,Dai,Fan,Fang,Fu,Gong,Gu,Hao,Hou,Jia,Jin,Kong,Kang,Lai,Lei,Long,Lou,Mao,Meng,"
                "Mo,Ni,Niu,Ou,Qian,Qin,Qiu,Shi,Shao,Tan,Tao,Wan,Wen,Xia,Xiang,Xiong,Xue,Yan,Yi,Yin,Zhan,"
                "Zhuang,Zou,Zuo,Qi,Rao,Duan,Lei,Hong,Geng,Mu,Ji,Kuang,Ouyang,Situ,Zhuge"
            ),
        ),
        tail_share=0.15,
    ),
)

# -- South Asia ---------------------------------------------------------------------------------------------

_BD_MUSLIM: Syllables = _s(
    "Abdul ,Abu ,Golam ,Nur ,Mir ,Shah ",
    "Karim,Rahim,Malek,Hakim,Jalil,Kuddus,Mannan,Razzak,Salam,Sattar,Hannan,Kader,Kalam,Bashar,Latif,"
    "Wahab,Majid,Aziz,Hamid,Mazid,Quader,Barek,Khaleque,Motaleb,Rashid",
)
_BD_UL: Syllables = _s(
    "Rafiq,Shafiq,Amin,Nazr,Saif,Shahid,Mizan,Habib,Mostafiz,Anis,Ashraf,Kamr,Monir,Aziz,Jahid,Khalil,"
    "Mahfuz,Mahbub,Obaid,Sharif,Zahid,Lutf,Zia,Fazl,Moniru,Mashiu,Hafiz,Siraj,Nasir,Tofaz",
    "ul,ur,ul,ur,ul Haque,ul Islam,ur Rahman",
)
BANGLA = Culture(
    "bangla",
    female=Pool(
        _l(
            "Fatema, Nasrin, Rina, Shirin, Rokeya, Salma, Shahnaz, Ayesha, Taslima, Sabina, Morjina, Rahima,"
            "Hasina, Jesmin, Laily, Farida, Shefali, Nazma, Kulsum, Asma, Roksana, Sumi, Mim, Popy, Shapla,"
            "Marium, Tania, Sharmin, Mousumi, Bilkis, Rehana, Khadiza, Razia, Monowara, Dilruba, Anjuman,"
            "Nurjahan, Afroza, Shahida, Moriom, Sathi, Runa, Jharna, Lipi"
        ),
        tail=(
            _s(
                "Nas,Shir,Ros,Tas,Sab,Ray,Far,Sham,Naz,Mah,Jes,Shah,Ruk,Ham,Sal,Moh,Dil,Mun,Lai,Rum,Tah,Jan",
                "rin,ina,ima,lima,ana,nas,ida,eda,ia,ena,ruba,jahan,ara,sana,mina,nur,mun",
            ),
        ),
        tail_share=0.4,
    ),
    male=Pool(
        _l(
            "Md. Rahim, Md. Karim, Mohammad Ali, Abdul Karim, Alamgir, Jahangir, Shafiqul, Rafiqul, Aminul,"
            "Nazrul, Saiful, Shahidul, Mizanur, Habibur, Mostafizur, Anisur, Ashraful, Kamrul, Monirul, Rashed,"
            "Rubel, Sohel, Shamim, Masud, Liton, Sumon, Jewel, Faruk, Kamal, Jamal, Selim, Babul, Shahjahan,"
            "Abul Kalam, Abu Bakar, Abdur Rahman, Nur Islam, Golam Mostafa, Delwar, Harun, Mamun, Milon,"
            "Ripon, Sabbir, Tanvir, Imran, Arif, Rakib, Shakil"
        ),
        tail=(_BD_MUSLIM, _BD_UL),
        tail_share=0.5,
    ),
    family=Pool(
        _l(
            "Uddin, Hossain, Islam, Rahman, Ahmed, Miah, Sheikh, Khan, Chowdhury, Sarker, Mondal, Ali, Alam,"
            "Howlader, Biswas, Talukder, Molla, Akand, Bhuiyan, Mahmud, Haque, Karim, Kabir, Bepari, Munshi,"
            "Sikder, Hasan, Mridha, Gazi, Pramanik, Sardar, Babu, Majumder, Patwary, Dewan, Fakir, Kazi,"
            "Siddique, Mollah, Hawlader"
        ),
        tail=(
            _s(
                "Mol,Sik,Tal,Maj,Pat,How,Bep,Pram,Sar,Bhu,Mri,Chow,Ak,Dew,Shik",
                "der,dar,lader,ari,anik,ukder,umder,wary,iyan,dha,dhury,and,an,li",
            ),
        ),
        tail_share=0.3,
        zipf=0.8,
    ),
    family_f=Pool(
        _l(
            "Begum, Akter, Khatun, Khanam, Sultana, Parvin, Nahar, Jahan, Yasmin, Ara, Islam, Rahman, Akhter,"
            "Bibi, Banu, Chowdhury, Hossain, Siddika, Ferdousi, Jannat, Afrin, Nesa, Mollik, Sarker, Mondal,"
            "Haque, Khan, Alam, Rani, Shila, Mukta, Aktar, Ahmed, Mahmuda, Hasan, Shikder, Kabir, Nasrin,"
            "Tasnim, Bhuiyan"
        ),
        zipf=0.8,
    ),
    compound=0.25,
)

NEPALI = Culture(
    "nepali",
    female=Pool(
        _l(
            "Sita, Gita, Laxmi, Kamala, Sarita, Sabita, Sunita, Anita, Radha, Parbati, Maya, Sushila, Manisha,"
            "Puja, Rita, Bimala, Kabita, Srijana, Asha, Sapana, Pramila, Durga, Ganga, Ramita, Nirmala,"
            "Samjhana, Goma, Mina, Shanti, Kalpana, Anjali, Priya, Pooja, Sangita, Rekha, Usha, Sima, Januka,"
            "Bina, Nisha, Alisha, Sumitra, Dil Maya, Bishnu Maya, Chandra Kala"
        ),
        tail=(
            _s(
                "Sab,Sar,Sun,Man,Kab,Pram,Bim,Nir,Kal,Sang,Rek,Ram,Sush,Jan,Bin,Sam,Sir,Ang,Pun,Rach,Sus,Kus",
                "ita,ina,ila,isha,ana,uka,ima,ija,ani,ika,ala,ama",
            ),
        ),
        tail_share=0.35,
    ),
    male=Pool(
        _l(
            "Ram, Krishna, Hari, Bishnu, Shyam, Gopal, Raju, Suresh, Ramesh, Dipak, Bikash, Sagar, Santosh,"
            "Prakash, Rajesh, Dinesh, Anil, Sunil, Bibek, Rabin, Sanjay, Manoj, Kiran, Arjun, Nabin, Sujan,"
            "Roshan, Prem, Binod, Rajendra, Mohan, Pradip, Umesh, Ganesh, Rohit, Amit, Vijay, Rakesh, Mukesh,"
            "Sandip, Tek, Dil, Man, Nir"
        ),
        tail=(
            _s(
                "Bik,San,Pra,Raj,Din,Ram,Sur,Bib,Rab,Suj,Ros,Nab,Kir,Bin,Dip,Anu,Sud,Upen,Yog,Dhan,Bhu,Sur",
                "ash,esh,ak,an,in,od,endra,ish,it,ant,ip,ul,al,aj",
            ),
        ),
        tail_share=0.35,
    ),
    family=Pool(
        _l(
            "Tamang, Gurung, Magar, Rai, Limbu, Thapa, Shrestha, Sherpa, Karki, Adhikari, Poudel, Khadka,"
            "Bhandari, Bista, Basnet, Chaudhary, Yadav, Sharma, Singh, Lama, Ghimire, Acharya, Bhattarai, KC,"
            "BK, Pariyar, Nepali, Sunar, Dahal, Pandey, Joshi, Regmi, Rijal, Oli, Thakuri, Maharjan, Tharu,"
            "Mahato, Shah, Kumar, Gupta, Das, Mandal, Koirala, Subedi, Gautam, Khatri, Budha, Rana"
        ),
        tail=(
            _s(
                "Ghim,Bhatt,Pokh,Kaf,Dhun,Sap,Tim,Lamich,Neup,Nyaup,Aary,Lams,Baj,Dhak,Gyaw,Khan,Par,Sil",
                "ire,arai,rel,le,gana,kota,sina,hane,ane,al,ali,wali,gain",
            ),
        ),
        tail_share=0.3,
        zipf=0.8,
    ),
    compound=0.3,
    second_f=Pool(_l("Kumari, Maya, Devi, Kala, Laxmi")),
    second_m=Pool(_l("Bahadur, Prasad, Kumar, Raj, Nath, Lal, Man, Bikram")),
    marriage=True,
)

SINHALA = Culture(
    "sinhala",
    female=Pool(
        _l(
            "Nimali, Dilani, Chamari, Kumari, Sanduni, Ishara, Nadeesha, Tharushi, Anusha, Chandrika, Dilrukshi,"
            "Gayani, Hashini, Inoka, Kanchana, Lakmini, Malani, Nilmini, Priyanka, Ruwani, Sandya, Shanika,"
            "Thilini, Udeshika, Wasana, Yamuna, Achini, Chathurika, Deepika, Erandi, Harshani, Iresha,"
            "Kalpani, Madhavi, Nayani, Nirosha, Pavithra, Rasika, Sachini, Samanthi, Sewwandi, Thushari"
        ),
        tail=(
            _s(
                "Nim,Dil,Cham,San,Ish,Nad,Thar,An,Dil,Gay,Hash,In,Kan,Lak,Nil,Ruw,Shan,Thil,Ud,Was,Sew,Ach",
                "ali,ani,ari,duni,ara,eesha,ushi,usha,mini,oka,chana,ika,wani,thi,ushika,andi",
            ),
        ),
        tail_share=0.35,
    ),
    male=Pool(
        _l(
            "Nimal, Sunil, Kamal, Chaminda, Nuwan, Dinesh, Pradeep, Saman, Ruwan, Kasun, Lahiru, Tharindu,"
            "Chathura, Mahesh, Asanka, Buddhika, Dilshan, Gayan, Hasitha, Isuru, Janaka, Kelum, Lalith,"
            "Malinda, Nalin, Prasanna, Roshan, Sampath, Sanjeewa, Thilina, Upul, Wasantha, Amila, Ajith,"
            "Chamara, Dhanushka, Eranga, Indika, Kanishka, Madushan, Nishantha, Pathum, Rangana, Suranga"
        ),
        tail=(
            _s(
                "Nim,Sun,Kam,Cham,Nuw,Din,Prad,Sam,Ruw,Kas,Lah,Thar,Chath,Mah,As,Budd,Dil,Gay,Has,Is,Jan,Kel",
                "al,il,inda,an,esh,eep,indu,ura,anka,hika,shan,itha,uru,aka,um,ith,antha,ila",
            ),
        ),
        tail_share=0.35,
    ),
    family=Pool(
        _l(
            "Perera, Fernando, Silva, De Silva, Bandara, Herath, Jayasinghe, Wickramasinghe, Jayawardena,"
            "Gunasekara, Ranasinghe, Senanayake, Dissanayake, Rajapaksa, Rathnayake, Kumara, Weerasinghe,"
            "Karunaratne, Wijesinghe, Liyanage, Gunawardena, Amarasinghe, Ekanayake, Samarasinghe, Abeysekara,"
            "Mendis, Peiris, Kodikara, Hettiarachchi, Jayasuriya, Wijeratne, Samaraweera, Gamage, Pathirana,"
            "Rodrigo, Cooray, Dias, Siriwardena, Munasinghe, Kulatunga"
        ),
        tail=(
            _s(
                "Wickrama,Jaya,Guna,Rana,Sena,Dissa,Raja,Wije,Ekana,Samara,Abeye,Karuna,Siri,Amara,Chandra,"
                "Weera,Dharma,Hetti,Kula,Muna,Nanaya,Gune,Wima,Pushpa,Ratna,Kodi,Sama,Dasa,Wanni",
                "singhe,wardena,sekara,yake,ratne,koon,pala,tunga,siri,bandara,kody,tilleke,suriya,arachchi,"
                "weera,nayake,gama,pathirana,kara",
            ),
        ),
        tail_share=0.6,
        zipf=0.8,
    ),
    marriage=True,
)

# -- Middle East and North Africa ---------------------------------------------------------------------------

_AR_MALE = _l(
    "Mohammed, Ahmed, Ali, Mahmoud, Omar, Hassan, Khaled, Ibrahim, Abdullah, Youssef, Mustafa, Hussein, Said,"
    "Karim, Tarek, Samir, Amr, Walid, Sami, Nabil, Adel, Hamza, Rami, Ziad, Bilal, Faisal, Salem, Nasser,"
    "Saleh, Jamal, Majed, Fahd, Anas, Osama, Hisham, Yasser, Imad, Bassam, Ayman, Rashid, Sultan,"
    "Abdelrahman, Abdelaziz, Abdelkader, Mourad, Rachid, Issa, Moussa, Yahya, Zakaria, Idris, Suleiman,"
    "Tamer, Wael, Haitham, Marwan, Raed, Ghassan, Fadi, Jihad, Munir, Nizar, Qasim, Wissam"
)
ARABIC = Culture(
    "arabic",
    female=Pool(
        _l(
            "Fatima, Aisha, Mariam, Noor, Sara, Layla, Huda, Amal, Rania, Hana, Zainab, Nadia, Salma, Yasmin,"
            "Khadija, Amina, Samira, Mona, Rasha, Dina, Reem, Lina, Heba, Asma, Ghada, Hanan, Iman, Jamila,"
            "Latifa, Maha, Nawal, Safa, Sahar, Souad, Wafaa, Zahra, Abeer, Aya, Bushra, Dalia, Farah, Habiba,"
            "Malak, Nada, Rabab, Samar, Shaima, Wiam, Yousra, Najwa, Ruqayya, Suha, Tahani, Widad"
        ),
        tail=(
            _s(
                "Afaf,Alia,Areej,Asil,Batoul,Dima,Duaa,Eman,Fadwa,Ghadeer,Hadeel,Haifa,Hiba,Ibtisam,Inas,Jana,"
                "Joud,Kawthar,Lama,Lubna,Manal,Maysa,Mayar,Nahla,Nisreen,Nour al-Huda,Rahaf,Raghad,Randa,Rawan,"
                "Razan,Ruba,Sabah,Sawsan,Shahd,Shatha,Sundus,Taghreed,Walaa,Yara,Zeina,Zainab al-Kubra,Hind,"
                "Maram,Lujain,Marwa,Nuha,Arwa,Bayan,Ghufran,Israa,Khulood,Rimas,Sumaya,Tasneem,Wijdan"
            ),
        ),
        tail_share=0.35,
        zipf=0.9,
    ),
    male=Pool(
        _AR_MALE,
        tail=(
            _s(
                "Abdel,Abdul,Abd al-,Abdel,Abdul",
                "rahman,aziz,karim,latif,hamid,majid,qadir,razzaq,salam,wahab,halim,hakim,jalil,malik,nasser,"
                "hadi,ghani,rahim,hafiz,jabbar,basit,fattah,wadud,muttalib,samad,mun'im,ilah,bari,jawad",
            ),
            _s(
                "Adnan,Akram,Alaa,Amjad,Ashraf,Atef,Ayoub,Basel,Bashir,Diaa,Emad,Fares,Fawzi,Ghaith,Hani,Hatem,"
                "Ihab,Iyad,Jaber,Jawad,Kamal,Kareem,Luay,Maher,Mazen,Medhat,Mohannad,Muath,Nadim,Naji,Nawaf,"
                "Obaida,Qusay,Raafat,Rabie,Riyad,Safwan,Sameh,Shadi,Tariq,Usama,Wasim,Yazan,Zaid,Zuhair,Hazem"
            ),
        ),
        tail_share=0.35,
        zipf=0.9,
    ),
    family=Pool(
        _l(
            "Al-Sayed, Al-Masri, Haddad, Khalil, Mansour, Nasser, Saleh, Hamdan, Awad, Darwish, Hussein, Abbas,"
            "Al-Amin, Al-Hassan, Al-Khatib, Al-Najjar, Qassem, Barakat, Al-Hashimi, Al-Tamimi, Al-Shammari,"
            "Al-Qahtani, Al-Harbi, Al-Otaibi, Al-Zahrani, Al-Ghamdi, Al-Dosari, Al-Mutairi, Al-Anazi,"
            "Al-Jubouri, Al-Obeidi, Al-Dulaimi, El-Sayed, Benali, Bennani, El Idrissi, Alaoui, Chaoui, Tazi,"
            "Benjelloun, Mahmoud, Ibrahim, Hamad, Suleiman, Yassin, Zaher, Sabbagh, Farhat, Jaber, Kanaan"
        ),
        tail=(
            _s(
                "Al-,Al-,El-,",
                "Ha,Ka,Sa,Da,Ja,Na,Ra,Za,Ba,Fa,Ma,Qa,Ta,Sha,Kha,Gha,Ya,Hu,Su,Mu,Ku",
                "mad,lid,shid,sim,kir,bir,fiz,jid,mid,lim,nim,tim,rif,hir,sir,ris,waj,dah,rib,bak,laf",
                "i,i,i,,awi",
            ),
            _s("Ben", "ali,youssef,hamou,said,omar,salah,aissa,moussa,kirane,nani,jelloun,slimane,tahar"),
        ),
        tail_share=0.5,
        zipf=0.7,
    ),
    father=0.7,
    nasab=("bin", "bint"),
    nasab_share=0.4,
)

# -- Africa -------------------------------------------------------------------------------------------------

_YORUBA: Syllables = _s(
    "Ade,Olu,Oluwa,Ola,Ayo,Ogun,Oye,Ibi,Aki,Afo,Bola,Fola,Tolu,Femi,Kemi,Simi,Dami,Tomi,Mo,Yemi,Ife,Abi",
    "yemi,bayo,wale,kunle,tunde,seun,ola,nike,labi,dele,sola,fola,bisi,tope,mide,lade,jide,toyin,kemi,nuga,"
    "tomiwa,funmi,sewa,dayo,gbenga,sanya,kanmi,leke,tunji",
)
_IGBO: Syllables = _s(
    "Chi,Chukwu,Nna,Obi,Uche,Ifeanyi,Nwa,Onye,Eze,Ike,Ngo,Ama,Ada,Uju,Ebu,Kene,Soma,Chidi,Ogo,Nne,Oke,Oko",
    "ma,emeka,nedu,di,dike,buike,nna,oma,chi,kwu,ugo,buzor,zor,eke,ebuka,amaka,aeze,nonso,olu,dinma,kafor,"
    "nkwo,gbonna,chukwu,nwa",
)
WEST_AFRICAN_EN = Culture(
    "west_african_en",
    female=Pool(
        _l(
            "Blessing, Precious, Favour, Mercy, Grace, Joy, Faith, Esther, Patience, Comfort, Gift, Peace, Glory,"
            "Chioma, Ngozi, Adaeze, Amaka, Chiamaka, Funmilayo, Folake, Yetunde, Bukola, Abosede, Aisha, Hauwa,"
            "Zainab, Fatima, Oluwaseun, Temitope, Ifeoma, Nneka, Uchenna, Chinwe, Ebere, Akosua, Ama, Abena,"
            "Adwoa, Efua, Afia, Yaa, Akua, Esi, Princess, Deborah, Victoria, Jennifer, Juliet, Rita"
        ),
        tail=(_YORUBA, _IGBO),
        tail_share=0.35,
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Emmanuel, Samuel, Daniel, John, Godwin, Friday, Sunday, Chinedu, Chukwuemeka, Obinna, Emeka,"
            "Ikenna, Tunde, Segun, Femi, Kunle, Musa, Ibrahim, Abubakar, Usman, Sani, Kwame, Kofi, Kwabena, Yaw,"
            "Kwaku, Kojo, Kwesi, Michael, David, Peter, Joseph, Paul, Victor, Stephen, Godspower, Promise,"
            "Innocent, Prince, Uche, Nnamdi, Tochukwu, Babatunde, Olumide, Adebayo, Yusuf, Abdullahi, Aliyu"
        ),
        tail=(_YORUBA, _IGBO),
        tail_share=0.35,
        zipf=0.8,
    ),
    family=Pool(
        _l(
            "Okafor, Okonkwo, Eze, Nwosu, Okoro, Adeyemi, Adebayo, Ogunleye, Olawale, Bello, Ibrahim, Abubakar,"
            "Mensah, Asante, Owusu, Boateng, Osei, Appiah, Agyemang, Danso, Okeke, Obi, Nwachukwu, Chukwu,"
            "Onyeka, Ogbonna, Adeleke, Afolabi, Akinola, Oladipo, Ogunbiyi, Oyelaran, Yusuf, Musa, Abdullahi,"
            "Suleiman, Lawal, Aminu, Ansah, Darko, Quaye, Tetteh, Amoah, Acheampong, Kamara, Sesay, Conteh,"
            "Koroma, Bangura, Jalloh, Turay"
        ),
        tail=(
            _YORUBA,
            _IGBO,
            _s("O,Nwa,Eze,Oko", "kafor,keke,koye,nkwo,chukwu,emena,gbonna,zor,buike,dinma,nye"),
        ),
        tail_share=0.6,
        zipf=0.8,
    ),
    compound=0.25,
    marriage=True,
)

WEST_AFRICAN_FR = Culture(
    "west_african_fr",
    female=Pool(
        _l(
            "Aminata, Fatoumata, Mariama, Aïssatou, Kadiatou, Awa, Mariam, Fanta, Djénéba, Oumou, Ramatou,"
            "Salimata, Assétou, Kadidia, Rokia, Nafissatou, Bintou, Coumba, Ndèye, Khady, Astou, Rama, Yacine,"
            "Adjoua, Affoué, Akissi, Amenan, Ahou, Aya, Amoin, Marie, Christelle, Estelle, Nadège, Pélagie,"
            "Brigitte, Clarisse, Grâce, Prisca, Sandrine, Mireille, Josiane, Fatou, Maimouna, Hawa"
        ),
        tail=(_s("A,Ak,Am,Ad,Af,Ko,Ya,Ahou,N'D,Tan", "dja,issi,enan,oua,oué,ya,moin,joua,ssi,houa,rie,an"),),
        tail_share=0.25,
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Mamadou, Moussa, Ibrahima, Oumar, Abdoulaye, Amadou, Seydou, Boubacar, Souleymane, Ousmane, Adama,"
            "Bakary, Lassina, Drissa, Issa, Modibo, Cheikh, Moustapha, Papa, Mouhamed, Kouassi, Kouamé, Kouadio,"
            "Konan, Koffi, Yao, N'Guessan, Jean, Yves, Serge, Franck, Didier, Hervé, Arnaud, Patrice, Alassane,"
            "Sékou, Youssouf, Aboubacar, Idrissa, Salif, Siaka, Yacouba, Lamine, Bamba"
        ),
        tail=(
            _s(
                "Kou,Ko,Ya,N'Gue,Brou,Tano,Ass,Ama,Adj,Yap,Kra,Ehou",
                "assi,adio,amé,akou,ssan,pi,nan,ffi,ka,ssi,ua",
            ),
        ),
        tail_share=0.2,
    ),
    family=Pool(
        _l(
            "Traoré, Diallo, Coulibaly, Konaté, Koné, Diarra, Keita, Camara, Touré, Sow, Ba, Diop, Ndiaye, Fall,"
            "Sy, Cissé, Sanogo, Ouattara, Bamba, Doumbia, Sangaré, Dembélé, Kouassi, Konan, Koffi, Yao,"
            "N'Guessan, Kouadio, Kouamé, Yapi, Aka, Brou, Tanoh, Assi, Dao, Ouédraogo, Sawadogo, Kaboré, Zongo,"
            "Compaoré, Nikiema, Barry, Bah, Sylla, Diabaté, Fofana, Kanté, Soumahoro, Gueye, Faye, Mbaye, Sarr"
        ),
        tail=(
            _s(
                "Kou,N'Gue,Ya,Ko,A,Brou,Tano,Ass,Ahou,Ama,Adj,Yap,Kra,Ehou,Kon,Ble",
                "assi,adio,amé,akou,ssan,pi,nan,ffi,ka,ssi,ua,ngo,man,hou,bi",
            ),
            _s(
                "Oué,Sa,Ka,Zo,Ni,Kin,Yam,Tap,Ilb,Bel,Zan,Ti,Kab,Nik,Som",
                "draogo,wadogo,boré,ngo,kiema,da,soba,soré,mbré,gou,bila,pore",
            ),
            _s(
                "Dia,Ko,Tra,Sa,Ke,Cou,Dem,San,Dou,Fo,Ka,Si,Ba,Dan",
                "rra,né,oré,ngaré,ita,libaly,bélé,mbia,fana,nté,ssoko,kité",
            ),
        ),
        tail_share=0.55,
        zipf=0.8,
    ),
    compound=0.1,
    marriage=True,
)

_HORN_MALE = _l(
    "Abebe, Tesfaye, Getachew, Dawit, Yohannes, Solomon, Mulugeta, Alemayehu, Girma, Bekele, Tadesse, Haile,"
    "Kebede, Mengistu, Berhanu, Daniel, Samuel, Henok, Biniam, Yonas, Mesfin, Tewodros, Abel, Ermias, Fitsum,"
    "Kaleab, Nahom, Robel, Yared, Amanuel, Mehari, Tesfay, Berhane, Goitom, Kidane, Mebrahtu, Tekle, Weldu,"
    "Yemane, Zerai, Habtom, Filmon, Semere, Asmerom, Efrem, Elias, Hagos, Negash, Alemu, Desta"
)
_HORN_TAIL: Syllables = _s(
    "Tes,Ge,Ha,Be,Me,Ye,Ke,Ze,Al,Ab,Gebre,Wolde,Hab,Ts,Ber,Ase,Fik,Ash,Lem,Ne,Te,Sei",
    "faye,tachew,ile,kele,ngistu,sfin,rhanu,bede,dane,mane,meskel,mariam,giorgis,tom,hane,fa,fu,ebe,gash,"
    "wold,kiros,selassie,yesus",
)
HORN = Culture(
    "horn",
    female=Pool(
        _l(
            "Tigist, Meseret, Hiwot, Selam, Almaz, Tsehay, Mulu, Bethlehem, Mekdes, Rahel, Saba, Senait, Meron,"
            "Helen, Eden, Yordanos, Frehiwot, Liya, Kidist, Tsion, Bruktawit, Aster, Genet, Abeba, Zewditu,"
            "Alem, Birtukan, Etenesh, Fikirte, Hirut, Mahlet, Netsanet, Rediet, Selamawit, Sosina, Tirunesh,"
            "Weyni, Yeshi, Zebib, Feven, Luwam, Winta, Semhar, Ruth, Mebrat, Senayt"
        ),
        tail=(
            _s(
                "Tsi,Me,Hi,Se,Al,Be,Me,Ra,Sa,Yor,Fre,Ki,Ge,Hi,Ne,Wey,Ze,Lu,Sem",
                "geret,wot,lam,maz,hay,kdes,hel,nait,ron,danos,dist,net,rut,ni,bib,wam,har",
            ),
        ),
        tail_share=0.35,
    ),
    male=Pool(_HORN_MALE, tail=(_HORN_TAIL,), tail_share=0.35),
    family=None,
    style="chain",
    father=1.0,
    grandfather=0.35,
)
SOMALI = Culture(
    "somali",
    female=Pool(
        _l(
            "Fadumo, Hodan, Amina, Ayan, Asha, Halima, Sahra, Hawa, Khadija, Nimco, Sagal, Ifrah, Hibo, Sucaad,"
            "Ubah, Deeqa, Farhiya, Ladan, Maryan, Fartun, Hamdi, Idil, Istar, Kowsar, Leyla, Muna, Nasra, Qamar,"
            "Ruun, Sabirin, Shukri, Waris, Xaliimo, Yasmin, Zamzam, Anisa, Filsan, Hinda, Ikran, Najma"
        ),
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Mohamed, Abdi, Ahmed, Hassan, Ali, Abdullahi, Omar, Yusuf, Ismail, Farah, Abdirahman, Abdirashid,"
            "Mahad, Liban, Guled, Jama, Warsame, Dahir, Nur, Aden, Abdikarim, Abdiwali, Bashir, Cabdi, Daud,"
            "Faysal, Hussein, Ibrahim, Jibril, Khalid, Mahamud, Mukhtar, Osman, Qasim, Rashid, Said, Salad,"
            "Shire, Sharmarke, Yasin, Hirsi, Egal, Duale, Elmi"
        ),
        zipf=0.8,
    ),
    family=None,
    style="chain",
    father=1.0,
    grandfather=0.45,
)

EAST_AFRICAN = Culture(
    "east_african",
    female=Pool(
        _l(
            "Mary, Grace, Faith, Mercy, Esther, Jane, Ann, Elizabeth, Joyce, Lucy, Margaret, Caroline, Purity,"
            "Winnie, Beatrice, Irene, Susan, Agnes, Rose, Sarah, Halima, Mwajuma, Neema, Rehema, Aisha, Zawadi,"
            "Amani, Wanjiru, Wambui, Akinyi, Achieng, Atieno, Nafula, Nekesa, Chebet, Jepkemboi, Nakato, Nambi,"
            "Namukasa, Uwimana, Mukamana, Uwase, Ineza, Keza, Nyambura, Njeri, Moraa, Kemunto, Awino"
        ),
        tail=(
            _s(
                "Wa,Nya,Nje,A,Che,Na,Mu,Uwi,Ne,Ke,Ja,Mo",
                "njiru,mbui,kinyi,chieng,tieno,fula,kesa,bet,kato,mbi,kamana,wase,ri,mbura",
            ),
        ),
        tail_share=0.3,
    ),
    male=Pool(
        _l(
            "John, Peter, James, Joseph, David, Paul, Daniel, Samuel, Stephen, Francis, Patrick, George, Michael,"
            "Charles, Brian, Kevin, Dennis, Emmanuel, Moses, Isaac, Juma, Hamisi, Bakari, Rashidi, Baraka,"
            "Omondi, Otieno, Ochieng, Odhiambo, Kamau, Mwangi, Njoroge, Kiprotich, Kipchoge, Kiplagat, Wafula,"
            "Wekesa, Mugisha, Ssekandi, Kato, Mukasa, Habimana, Niyonzima, Nshimiyimana, Hakizimana, Mutua"
        ),
        tail=(
            _s(
                "O,Ki,Mwa,Wa,Mu,Ha,Niyo,Nshi,Sse,Ka,Nja,Ngu",
                "mondi,tieno,chieng,dhiambo,prop,ptoo,ngi,fula,kesa,gisha,bimana,nzima,kandi,mau,roge,gi",
            ),
        ),
        tail_share=0.3,
    ),
    family=Pool(
        _l(
            "Kamau, Mwangi, Njoroge, Otieno, Ochieng, Odhiambo, Wanjiku, Kariuki, Kimani, Onyango, Omondi, Mutua,"
            "Kiprop, Cheruiyot, Kiptoo, Rotich, Wafula, Wekesa, Barasa, Simiyu, Mugisha, Ssemakula, Kato, Mukasa,"
            "Nsubuga, Okello, Opio, Ouma, Mwakyusa, Mushi, Massawe, Swai, Mollel, Lyimo, Kimaro, Habimana,"
            "Niyonzima, Uwimana, Hakizimana, Ndayisaba, Nkurunziza, Bizimana, Juma, Hassan, Mohamed"
        ),
        tail=(
            _s(
                "O,Ki,Mwa,Wa,Mu,Ha,Niyo,Nda,Nku,Bi,Sse,Nsu,Ka,Ma,Lyi,Che,Ro",
                "mondi,tieno,chieng,nyango,prop,ptoo,ngi,fula,kesa,gisha,bimana,nzima,yisaba,runziza,makula,buga,"
                "riuki,mani,ssawe,mo,ruiyot,tich",
            ),
        ),
        tail_share=0.55,
        zipf=0.8,
    ),
    compound=0.4,
    marriage=True,
)

# -- Eastern Europe -----------------------------------------------------------------------------------------

UKRAINIAN = Culture(
    "ukrainian",
    female=Pool(
        _l(
            "Olena, Iryna, Oksana, Nataliia, Tetiana, Yuliia, Kateryna, Anastasiia, Olha, Svitlana, Mariia,"
            "Viktoriia, Alina, Anna, Daria, Khrystyna, Liudmyla, Halyna, Valentyna, Nadiia, Larysa, Inna, Yana,"
            "Sofiia, Vira, Liubov, Zoriana, Lesia, Ivanna, Oleksandra, Veronika, Yevheniia, Karyna, Diana,"
            "Polina, Myroslava, Roksolana, Uliana, Marta, Solomiia, Hanna, Nina, Tamara, Raisa, Valeriia"
        ),
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Oleksandr, Serhii, Andrii, Volodymyr, Dmytro, Mykola, Oleksii, Ivan, Yurii, Vasyl, Viktor, Petro,"
            "Ihor, Maksym, Bohdan, Taras, Vitalii, Roman, Yevhen, Mykhailo, Artem, Denys, Vladyslav, Ruslan,"
            "Oleh, Anatolii, Stepan, Pavlo, Valentyn, Vadym, Yaroslav, Nazar, Anton, Illia, Kyrylo, Rostyslav,"
            "Hryhorii, Fedir, Stanislav, Valerii, Borys, Leonid, Ostap, Yosyp"
        ),
        zipf=0.8,
    ),
    family=Pool(
        _l(
            "Shevchenko, Kovalenko, Bondarenko, Tkachenko, Kravchenko, Melnyk, Boiko, Kovalchuk, Oliinyk,"
            "Shevchuk, Polishchuk, Lysenko, Marchenko, Rudenko, Savchenko, Petrenko, Moroz, Klymenko, Pavlenko,"
            "Levchenko, Kharchenko, Karpenko, Ponomarenko, Sydorenko, Vasylenko, Koval, Hnatiuk, Tkachuk,"
            "Kuzmenko, Mazur, Romaniuk, Savchuk, Ivanenko, Bilyk, Kozak, Didenko, Zinchenko, Prykhodko,"
            "Yakovenko, Honchar, Kovalskyi, Lytvynenko, Mykhailenko, Ostapenko, Symonenko"
        ),
        tail=(
            _s(
                "Kovt,Hnat,Petr,Sav,Moroz,Dmytr,Yurch,Lys,Marty,Tymosh,Ostap,Hryts,Fedor,Kuzm,Semen,Stepan,Pylyp,"
                "Danyl,Ivan,Tkach,Kravch,Bondar,Shvets,Kushn,Rybal,Kolesn,Hon,Zhuk,Bil,Chorn,Sokol,Horb,Hrab,"
                "Zaich,Vovk,Lyt,Dov,Kost,Yarem,Opanas,Mel,Palam,Kyr,Rom,Teren",
                "enko,chuk,iuk,yk,ets,skyi,ak,an,ko,enko,chuk,ovych",
            ),
        ),
        tail_share=0.5,
        zipf=0.8,
    ),
    father=0.6,
    gender_rule="uk",
    marriage=True,
)

RUSSIAN = Culture(
    "russian",
    female=Pool(
        _l(
            "Elena, Olga, Natalia, Tatiana, Irina, Svetlana, Anna, Maria, Ekaterina, Yulia, Anastasia, Marina,"
            "Oksana, Victoria, Daria, Alina, Ksenia, Valentina, Galina, Lyudmila, Nadezhda, Larisa, Vera,"
            "Lyubov, Nina, Polina, Sofia, Alexandra, Kristina, Veronika, Yana, Evgenia, Tamara, Zoya, Inna,"
            "Diana, Elizaveta, Margarita, Vasilisa, Ulyana, Alla, Raisa, Zhanna, Lidia"
        ),
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Aleksandr, Sergei, Andrei, Dmitrii, Aleksei, Vladimir, Nikolai, Ivan, Mikhail, Yurii, Evgenii,"
            "Maksim, Pavel, Viktor, Igor, Oleg, Roman, Artem, Denis, Anton, Konstantin, Vladislav, Ruslan,"
            "Vitalii, Kirill, Nikita, Boris, Leonid, Stanislav, Valerii, Vadim, Gennadii, Anatolii, Grigorii,"
            "Fedor, Stepan, Egor, Ilya, Timur, Yaroslav, Arkadii, Petr, Semen, Vasilii, Matvei"
        ),
        zipf=0.8,
    ),
    family=Pool(
        _l(
            "Ivanov, Smirnov, Kuznetsov, Popov, Vasiliev, Petrov, Sokolov, Mikhailov, Novikov, Fedorov, Morozov,"
            "Volkov, Alekseev, Lebedev, Semenov, Egorov, Pavlov, Kozlov, Stepanov, Nikolaev, Orlov, Andreev,"
            "Makarov, Nikitin, Zakharov, Zaitsev, Soloviev, Borisov, Yakovlev, Grigoriev, Romanov, Vorobiev,"
            "Sergeev, Kuzmin, Frolov, Aleksandrov, Dmitriev, Korolev, Gusev, Kiselev, Ilyin, Maksimov, Polyakov,"
            "Sorokin, Vinogradov, Kovalev, Belov, Medvedev, Antonov, Tarasov"
        ),
        tail=(
            _s(
                "Bel,Chern,Sokol,Gorb,Kras,Lapt,Mart,Nest,Osip,Pankrat,Rybak,Shub,Tikhon,Ust,Filipp,Khar,Tsvet,"
                "Shchuk,Zhuk,Bogdan,Vlas,Gerasim,Danil,Efim,Kalash,Lukash,Mukh,Nazar,Ovch,Prokh,Rodion,Savel,"
                "Timof,Fom,Khrom,Chesn,Shest,Golub,Dement,Zim,Luk,Sidor,Trof,Abram,Bystr",
                "ov,ev,in,sky,ikhin,enkov,yshev,kov,ov,in",
            ),
        ),
        tail_share=0.5,
        zipf=0.8,
    ),
    father=0.6,
    gender_rule="ru",
    marriage=True,
)

ROMANIAN = Culture(
    "romanian",
    female=Pool(
        _l(
            "Maria, Elena, Ioana, Andreea, Mihaela, Alexandra, Cristina, Ana, Gabriela, Daniela, Ionela,"
            "Florentina, Georgiana, Adriana, Nicoleta, Simona, Larisa, Denisa, Alina, Raluca, Roxana, Bianca,"
            "Loredana, Corina, Oana, Carmen, Lavinia, Diana, Camelia, Iuliana, Valentina, Mădălina, Claudia,"
            "Monica, Ramona, Luminița, Violeta, Aurelia, Sorina, Veronica"
        ),
        tail=(
            _s(
                "Anca,Antonia,Ariana,Beatrice,Casandra,Codruța,Dana,Delia,Doina,Emanuela,Estera,Felicia,Flavia,"
                "Geanina,Ilinca,Irina,Lăcrămioara,Lenuța,Liliana,Lucia,Marioara,Medeea,Mirela,Narcisa,Otilia,"
                "Paula,Petronela,Rodica,Sabina,Silvia,Smaranda,Steluța,Tatiana,Teodora,Valeria,Viorica,Zamfira"
            ),
        ),
        tail_share=0.3,
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Ion, Gheorghe, Vasile, Constantin, Mihai, Andrei, Alexandru, Ștefan, Nicolae, Florin, Marian,"
            "Dumitru, Ionuț, Cristian, Adrian, Daniel, Gabriel, Bogdan, Marius, Petru, Valentin, Cătălin, Sorin,"
            "Lucian, Radu, Cosmin, Iulian, Ciprian, Viorel, Dorin, Costel, Emil, Victor, Sergiu, Vlad, Octavian,"
            "Liviu, Răzvan, Dragoș, Eugen"
        ),
        tail=(
            _s(
                "Aurel,Bogdan-Ionuț,Cezar,Claudiu,Cornel,Costin,Darius,Dorel,Doru,Emanuel,Fănel,Gelu,Grigore,"
                "Horia,Ilie,Lazăr,Laurențiu,Leonard,Marcel,Mircea,Nelu,Ovidiu,Paul,Remus,Robert,Sebastian,Silviu,"
                "Tiberiu,Traian,Tudor,Valeriu,Vasilică,Virgil,Ștefăniță,Aurelian,Cornelius,Dănuț,Relu,Sandu"
            ),
        ),
        tail_share=0.3,
        zipf=0.8,
    ),
    family=Pool(
        _l(
            "Popescu, Ionescu, Popa, Pop, Radu, Dumitru, Stan, Stoica, Gheorghe, Matei, Ciobanu, Rusu, Munteanu,"
            "Moldovan, Constantin, Mihai, Lungu, Ene, Florea, Dinu, Tudor, Cristea, Marin, Toma, Barbu, Nistor,"
            "Dobre, Diaconu, Lazăr, Ursu, Sandu, Manea, Oprea, Mocanu, Ardeleanu, Suciu, Cojocaru, Rotaru,"
            "Grosu, Ungureanu"
        ),
        tail=(
            _s(
                "Vasil,Dumitr,Georg,Ion,Stan,Petr,Nicol,Marin,Constantin,Mihail,Radul,Dragom,Teodor,Cazac,Olt,"
                "Mureș,Prahov,Bran,Vlăd,Pavel,Gavril,Manol,Anghel,Iord,Tănas,Bălan,Crăc,Duț,Fier,Gălăț",
                "escu,eanu,aru,ache,uță,escu,eanu,oiu",
            ),
        ),
        tail_share=0.5,
        zipf=0.8,
    ),
    compound=0.35,
    marriage=True,
)

BULGARIAN = Culture(
    "bulgarian",
    female=Pool(
        _l(
            "Maria, Ivanka, Elena, Yordanka, Penka, Desislava, Gergana, Petya, Silviya, Tsvetelina, Radka,"
            "Vesela, Nadezhda, Galina, Teodora, Viktoriya, Kristina, Nikol, Aleksandra, Stefka, Daniela,"
            "Snezhana, Milena, Rumyana, Svetla, Boryana, Dimitrinka, Valentina, Diana, Zornitsa, Kalina, Raya,"
            "Iliana, Yana, Denitsa, Mihaela, Stanislava, Ralitsa, Simona, Emilia, Yoana"
        ),
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Georgi, Ivan, Dimitar, Nikolay, Petar, Hristo, Stoyan, Todor, Aleksandar, Vasil, Stefan, Angel,"
            "Atanas, Krasimir, Plamen, Yordan, Kiril, Martin, Lyubomir, Tsvetan, Emil, Mihail, Valentin, Boris,"
            "Rumen, Viktor, Nikola, Kaloyan, Dragomir, Svetoslav, Radoslav, Daniel, Hristian, Simeon, Zhivko,"
            "Lachezar, Bozhidar, Momchil, Slavi, Tihomir, Velizar, Anton"
        ),
        zipf=0.8,
    ),
    family=Pool(
        _l(
            "Ivanov, Georgiev, Dimitrov, Petrov, Nikolov, Hristov, Stoyanov, Todorov, Iliev, Vasilev, Atanasov,"
            "Petkov, Angelov, Yordanov, Kolev, Marinov, Stefanov, Popov, Mihaylov, Kostov, Krastev, Dimov,"
            "Ganchev, Pavlov, Aleksandrov, Tsvetkov, Slavov, Simeonov, Kirilov, Mladenov, Radev, Borisov,"
            "Markov, Stanchev, Zhelev, Kanev, Yankov, Rusev, Penev, Bonev, Genov, Lazarov"
        ),
        tail=(
            _s(
                "Dragan,Tsan,Bog,Vel,Gan,Zlat,Kal,Mit,Nen,Pen,Rad,Slav,Ston,Tan,Khr,Lyub,Mil,Dob,Bor,Gosp,Kam",
                "ov,ev,chev,kov,ov,ev,inov,ichkov",
            ),
        ),
        tail_share=0.5,
        zipf=0.8,
    ),
    father=0.6,
    gender_rule="bg",
    marriage=True,
)

ALBANIAN = Culture(
    "albanian",
    female=Pool(
        _l(
            "Arta, Blerta, Drita, Elira, Fatjona, Gentiana, Ilirjana, Jonida, Klea, Lindita, Majlinda, Mimoza,"
            "Nora, Rina, Shqipe, Teuta, Valbona, Vjosa, Xhesika, Adelina, Albana, Besa, Dafina, Edona, Era,"
            "Flutura, Greta, Jeta, Kaltrina, Lule, Merita, Pranvera, Qendresa, Rozafa, Sara, Sidorela, Vesa,"
            "Zana, Anila, Brikena, Diellza, Elona, Ermira, Fjolla"
        ),
        zipf=0.8,
    ),
    male=Pool(
        _l(
            "Arben, Besnik, Dritan, Erion, Fatmir, Gentian, Ilir, Jetmir, Klodian, Luan, Mentor, Nderim, Petrit,"
            "Qemal, Rexhep, Sokol, Taulant, Valon, Xhevdet, Agron, Alban, Arbër, Artan, Bekim, Blerim, Driton,"
            "Edmond, Elton, Endrit, Florian, Genc, Hysen, Kastriot, Leonard, Mergim, Naim, Orges, Shpëtim,"
            "Skënder, Ylli, Ardit, Besart, Fisnik, Granit"
        ),
        zipf=0.8,
    ),
    family=Pool(
        _l(
            "Hoxha, Krasniqi, Gashi, Berisha, Morina, Shala, Kelmendi, Hasani, Bytyqi, Ahmeti, Rama, Leka, Shehu,"
            "Dervishi, Kola, Marku, Gjoka, Prifti, Lika, Basha, Çela, Dushku, Hoti, Kastrati, Lleshi, Muça,"
            "Nikolla, Osmani, Pepa, Qosja, Rexhepi, Sadiku, Tahiri, Vata, Xhafa, Zeka, Brahimi, Dibra, Gjini,"
            "Halili, Ismaili, Jashari, Kuçi, Llapi, Mehmeti"
        ),
        tail=(
            _s(
                "Hasan,Ibrahim,Islam,Sejd,Murat,Bajram,Qerim,Rustem,Shaban,Ramadan,Halil,Jakup,Mustaf,Selim,"
                "Zenel,Ajet,Bexhet,Fejz,Hajdar,Kadr,Lutf,Nazif,Rifat,Sabri,Xhemajl,Ymer,Zef,Gjon,Mark,Pal",
                "i,aj,ku,ja,llari,i,aj",
            ),
        ),
        tail_share=0.45,
        zipf=0.8,
    ),
    marriage=True,
)

# -- The Americas -------------------------------------------------------------------------------------------

HISPANIC = Culture(
    "hispanic",
    female=Pool(
        _l(
            "María, Ana, Carmen, Rosa, Daniela, Gabriela, Andrea, Valentina, Camila, Mariana, Sofía, Paola, Karla,"
            "Yuleisy, Yesenia, Wendy, Karen, Jessica, Katherine, Stephany, Dayana, Yaneth, Luz, Sandra,"
            "Patricia, Gloria, Claudia, Lorena, Marisol, Yolanda, Leidy, Johana, Yamileth, Xiomara, Maribel,"
            "Lucía, Fernanda, Isabel, Alejandra, Valeria, Natalia, Diana, Elena, Guadalupe, Esperanza, Mayra,"
            "Yessica, Génesis, Nayeli, Brenda"
        ),
        tail=(
            _s(
                "Yu,Ye,Ya,Ma,Da,Ke,Yo,Ji,Ari,Nay,Kar,Dei,Yes,Ly,Mari,Jen,Ros,Sul",
                "leisy,senia,mileth,ribel,yana,neth,lissa,hana,cela,liana,beth,mary,lenis,dy,nis,cy,eidy",
            ),
        ),
        tail_share=0.25,
    ),
    male=Pool(
        _l(
            "José, Juan, Luis, Carlos, Jorge, Miguel, Jesús, Pedro, Manuel, Francisco, Antonio, Alejandro, Andrés,"
            "Daniel, David, Diego, Eduardo, Fernando, Héctor, Javier, Jhon, Kevin, Brayan, Anderson, Wilmer,"
            "Yeison, Edwin, Óscar, Ricardo, Roberto, Santiago, Sebastián, Julio, César, Raúl, Mario, Víctor,"
            "Rafael, Alexander, Cristian, Jairo, Orlando, Wilson, Marvin, Elvis, Franklin, Nelson, Ramón"
        ),
        tail=(
            _s(
                "Yei,Jho,Bra,Wil,Ed,Fran,Yor,Jai,Dei,Ander,Ney,Yef,Ron,Dar,Nel,Ger,Eli,Hen",
                "son,nier,mer,win,yan,ber,dy,ker,al,der,ly,ferson,lin,ver",
            ),
        ),
        tail_share=0.25,
    ),
    family=Pool(
        _l(
            "García, Hernández, López, Martínez, Rodríguez, Pérez, González, Sánchez, Ramírez, Flores, Gómez,"
            "Díaz, Torres, Cruz, Morales, Reyes, Jiménez, Ruiz, Álvarez, Mendoza, Castillo, Vásquez, Romero,"
            "Herrera, Medina, Aguilar, Moreno, Castro, Ortiz, Rojas, Chávez, Gutiérrez, Ramos, Vargas, Mejía,"
            "Rivera, Suárez, Guerrero, Silva, Salazar, Contreras, Pineda, Ríos, Cabrera, Espinoza, Orellana,"
            "Lara, Navarro, Osorio, Quintero, Acosta, Cardona, Zelaya, Paz, Escobar, Bonilla, Villalobos,"
            "Arias, Figueroa, Montoya"
        ),
        tail=(
            _s(
                "Mar,Fer,Her,Gonz,Rodr,Ben,Sant,Val,Vill,Bust,Cam,Sep,Arr,Bel,Cor,Dom,Esc,Gal,Lav,Mal,Nav,Ord,"
                "Pach,Quir,Sal,Tab,Urr,Zam,Zap,Alv,Bar,Cif,Duq,Fig,Gir,Hur,Luj,Mon,Oc,Per",
                "tínez,nández,ández,ález,íguez,ítez,illo,ero,ada,eda,ano,ares,uela,ería,ina,ón,ega,ado,oza,uera,"
                "anza,edo,ote,ama,ueta",
            ),
        ),
        tail_share=0.35,
        zipf=0.7,
    ),
    compound=0.35,
    double_family=0.85,
)

HAITIAN = Culture(
    "haitian",
    female=Pool(
        _l(
            "Marie, Rose, Guerline, Nadège, Mirlande, Widelène, Nathalie, Fabiola, Esther, Jessica, Roseline,"
            "Marie-Ange, Marie-Carmel, Myrlande, Magalie, Nadine, Lourdes, Sabine, Judith, Kettly, Wislande,"
            "Dieunie, Fedeline, Immacula, Jocelyne, Loudmia, Nerlande, Phara, Rachelle, Sherline, Tamara,"
            "Vanessa, Yolette, Bettina, Carline, Darline, Évelyne, Francesca, Gina, Islande, Lovely, Mislaine"
        ),
        tail=(
            _s(
                "Wis,Mir,Ner,Guer,Dar,Car,Sher,Fede,Myr,Ket,Ros,Wid,Ju,Is",
                "lande,line,lène,line,tly,elie,nie,mise,lourde",
            ),
        ),
        tail_share=0.3,
    ),
    male=Pool(
        _l(
            "Jean, Pierre, Joseph, Jean-Claude, Jean-Baptiste, Wilson, Mackenson, Peterson, Jameson, Widmarc,"
            "Frantz, Jacques, Louis, Emmanuel, Wesner, Ricardo, Stanley, Roodly, Woodly, Kervens, Clifford,"
            "Fritz, Gérald, Jonas, Junior, Lesly, Marc, Michelet, Nixon, Reginald, Ronald, Schiller, Samuel,"
            "Dieuseul, Evens, Fednel, Jeff, Job, Lovensky, Ralph, Sonel, Wesley, Wilfrid, Yvon, Renel"
        ),
        tail=(
            _s(
                "Wid,Mack,Pet,Jam,Ker,Rood,Wood,Wes,Lov,Fed,Son,Ren,Dieu,Wil,Jean-",
                "son,marc,ens,ly,ner,ensky,nel,el,seul,ner,ry,ald,claude,robert",
            ),
        ),
        tail_share=0.3,
    ),
    family=Pool(
        _l(
            "Pierre, Joseph, Jean, Louis, Charles, Jean-Baptiste, Jean-Louis, Saint-Fleur, Saint-Louis, Celestin,"
            "Dorcely, Exantus, Alexis, Augustin, Baptiste, Cadet, Casimir, Dorvil, Estimé, Étienne, Fils-Aimé,"
            "Guerrier, Hyppolite, Jacques, Laguerre, Lamour, Lafontant, Michel, Noël, Paul, Petit-Frère,"
            "Philippe, Romain, Saintil, Simon, Théodore, Toussaint, Valcin, Vilsaint, Voltaire, Désir,"
            "Belizaire, Bien-Aimé, Dieudonné, Fleurimond, Jeune, Mompremier"
        ),
        tail=(
            _s(
                "Saint-,Dor,Val,Mom,Fleuri,Jean-,Pierre-,Bien-,Fils-,Lou,Cad,Exa,Ces,Bel,Ter,Vil,Des,Jo",
                "cin,vil,sant,mond,aimé,ilus,us,ius,ine,ard,elus,eus,louis,fleur,jean,cély,tus",
            ),
        ),
        tail_share=0.45,
        zipf=0.8,
    ),
    compound=0.2,
    marriage=True,
)

CULTURES: dict[str, Culture] = {
    c.name: c
    for c in (
        VIETNAMESE,
        THAI,
        FILIPINO,
        INDONESIAN,
        MALAY,
        KHMER,
        BURMESE,
        CHINESE,
        BANGLA,
        NEPALI,
        SINHALA,
        ARABIC,
        WEST_AFRICAN_EN,
        WEST_AFRICAN_FR,
        HORN,
        SOMALI,
        EAST_AFRICAN,
        UKRAINIAN,
        RUSSIAN,
        ROMANIAN,
        BULGARIAN,
        ALBANIAN,
        HISPANIC,
        HAITIAN,
    )
}

#: naming culture of each citizenship (ISO2); other countries take a culture drawn from the world mix
COUNTRY_CULTURE: dict[str, str] = {
    **dict.fromkeys(("VN",), "vietnamese"),
    **dict.fromkeys(("TH", "LA"), "thai"),
    **dict.fromkeys(("PH",), "filipino"),
    **dict.fromkeys(("ID", "TL"), "indonesian"),
    **dict.fromkeys(("MY", "BN"), "malay"),
    **dict.fromkeys(("KH",), "khmer"),
    **dict.fromkeys(("MM",), "burmese"),
    **dict.fromkeys(("CN", "TW", "HK", "MO", "SG"), "chinese"),
    **dict.fromkeys(("BD", "PK"), "bangla"),
    **dict.fromkeys(("NP", "IN", "BT"), "nepali"),
    **dict.fromkeys(("LK",), "sinhala"),
    **dict.fromkeys(
        ("SA", "AE", "EG", "SY", "IQ", "JO", "LB", "YE", "SD", "MA", "DZ", "TN", "LY", "KW", "QA", "OM", "BH"),
        "arabic",
    ),
    **dict.fromkeys(("PS",), "arabic"),
    **dict.fromkeys(("NG", "GH", "SL", "LR", "GM"), "west_african_en"),
    **dict.fromkeys(("CI", "SN", "ML", "GN", "BF", "CM", "TG", "BJ", "NE"), "west_african_fr"),
    **dict.fromkeys(("ET", "ER"), "horn"),
    **dict.fromkeys(("SO", "DJ"), "somali"),
    **dict.fromkeys(("KE", "UG", "TZ", "RW", "BI"), "east_african"),
    **dict.fromkeys(("UA",), "ukrainian"),
    **dict.fromkeys(("RU", "BY", "KZ"), "russian"),
    **dict.fromkeys(("RO", "MD"), "romanian"),
    **dict.fromkeys(("BG",), "bulgarian"),
    **dict.fromkeys(("AL", "XK", "MK"), "albanian"),
    **dict.fromkeys(
        (
            "VE", "HN", "GT", "MX", "CO", "SV", "NI", "EC", "CU", "PE", "BO", "PA", "CR", "CL", "AR", "DO",
            "PY", "UY", "ES", "BR",
        ),
        "hispanic",
    ),
    **dict.fromkeys(("HT",), "haitian"),
}  # fmt: skip

#: citizenship of invented people when none is given: a rough world mix of identified victims
WORLD_CITIZENSHIP: dict[str, float] = {
    "PH": 6, "VN": 5, "TH": 3, "ID": 4, "MY": 1, "KH": 3, "MM": 3, "LA": 1, "CN": 3,
    "BD": 4, "NP": 3, "IN": 2, "LK": 1, "PK": 1,
    "NG": 8, "GH": 2, "SL": 1, "CI": 2, "SN": 1, "ML": 1, "GN": 1, "BF": 1, "CM": 1,
    "ET": 3, "ER": 2, "SO": 1, "KE": 2, "UG": 2, "TZ": 1,
    "UA": 6, "RU": 1, "BY": 1, "RO": 4, "MD": 2, "BG": 2, "AL": 1, "XK": 0.5,
    "VE": 4, "HN": 2, "GT": 2, "MX": 3, "CO": 3, "SV": 1, "NI": 1, "PE": 1, "EC": 1, "BO": 0.5,
    "HT": 1,
    "SY": 2, "IQ": 1, "EG": 2, "MA": 2, "SD": 1, "YE": 1, "JO": 0.5,
}  # fmt: skip
